"""A user whose account changes through the HTTP API, archived link by link, and the state a
chain of archives describes when applied in order."""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.support.http import api, csrf_token, sign_up
from webapp.archives import actions, runner, storage, transitions
from webapp.archives.models import ArchiveJob
from webapp.archives.selection import Selection
from webapp.archives.verify import verify_set
from webapp.auth.models import User
from webapp.extensions import db
from webapp.notes.models import Attachment

INCREMENTAL = Selection.parse({"incremental": True})
EVERYTHING = Selection.everything()


@dataclass
class Account:
    """A user who changes their data through the API, and remembers which records they have."""

    app: Flask
    client: FlaskClient
    user_id: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(13))
    notes: list[int] = field(default_factory=list)
    files: list[int] = field(default_factory=list)

    def add_note(self) -> int:
        n = self.rng.randrange(10**6)
        response = api(
            self.client, "POST", "/api/notes", json={"title": f"n{n}", "body": "b" * (n % 5000)}
        )
        assert response.status_code == 201, response.json
        self.notes.append(response.json["id"])
        return int(response.json["id"])

    def edit_note(self, note_id: int | None = None, title: str | None = None) -> None:
        note_id = note_id or self.rng.choice(self.notes)
        title = title or f"edited {self.rng.randrange(10**6)}"
        response = api(self.client, "PATCH", f"/api/notes/{note_id}", json={"title": title})
        assert response.status_code == 200, response.json

    def delete_note(self) -> None:
        note_id = self.notes.pop(self.rng.randrange(len(self.notes)))
        assert api(self.client, "DELETE", f"/api/notes/{note_id}").status_code == 204

    def add_file(self) -> None:
        data = self.rng.randbytes(self.rng.randrange(1, 5000))
        response = self.client.post(
            "/files",
            data={
                "file": (io.BytesIO(data), f"f{len(self.files)}.bin"),
                "csrf_token": csrf_token(self.client, "/files"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        with self.app.app_context():
            newest = sa.select(sa.func.max(Attachment.id)).where(Attachment.user_id == self.user_id)
            self.files.append(int(db.session.scalar(newest) or 0))

    def delete_file(self) -> None:
        file_id = self.files.pop(self.rng.randrange(len(self.files)))
        assert api(self.client, "DELETE", f"/api/files/{file_id}").status_code == 204

    def change(self) -> None:
        """One period of use: add, edit and delete notes; add and delete files."""
        for _ in range(3):
            self.add_note()
        for _ in range(2):
            self.edit_note()
        self.delete_note()
        self.add_file()
        self.add_file()
        self.delete_file()

    def archive(self, selection: Selection, during: Callable[[], None] | None = None) -> Path:
        """Build an archive in this process with the worker's runner; return its root ZIP."""
        with self.app.app_context():
            job, _ = actions.request_archive(
                self.user_id, selection=selection, enqueue_message=False, ignore_cooldown=True
            )
            claim = transitions.claim(self.user_id, 600)
            assert claim is not None
            user = db.session.get(User, self.user_id)
            assert user is not None
            pending = [during] if during else []

            def progress(phase: str, done: int, total: int) -> None:
                # Once the build has its snapshot, another transaction writes (once).
                if phase == "counting" and pending:
                    pending.pop()()

            assert runner.execute(claim, user, progress) == "succeeded"
            assert not pending, "the build never reported its counting phase"
            stored = db.session.get(ArchiveJob, job.id)
            assert stored is not None and stored.storage_key is not None
            path = storage.scratch_path(stored.storage_key)
        assert verify_set([path]).ok
        return path


@dataclass
class State:
    """An account as archives describe it: records by id, and the bytes of each file."""

    profile: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[int, dict[str, Any]] = field(default_factory=dict)
    files: dict[int, dict[str, Any]] = field(default_factory=dict)
    activity: dict[int, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[int, bytes] = field(default_factory=dict)


def manifest(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        return dict(orjson.loads(archive.read("manifest.json")))


def apply(state: State, path: Path) -> None:
    """Apply one archive: remove what it says was deleted, then put in every record by id."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        deleted = orjson.loads(archive.read("deleted.json")) if "deleted.json" in names else []
        for gone in deleted:
            getattr(state, gone["section"]).pop(gone["id"], None)
            if gone["section"] == "files":
                state.blobs.pop(gone["id"], None)
        state.profile = orjson.loads(archive.read("profile.json"))
        for section in ("notes", "files", "activity"):
            for record in orjson.loads(archive.read(f"{section}.json")):
                getattr(state, section)[record["id"]] = record
        for record in orjson.loads(archive.read("files.json")):
            state.blobs[record["id"]] = archive.read(record["path"])


def rebuilt(*paths: Path) -> State:
    state = State()
    for path in paths:
        apply(state, path)
    return state


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def signed_up(app: Flask, email: str, notes: int = 0, files: int = 0) -> Account:
    """A new user, signed up through the pages, with some notes and files to change."""
    client = app.test_client()
    sign_up(client, email)
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
    account = Account(app, client, int(user_id or 0))
    for _ in range(notes):
        account.add_note()
    for _ in range(files):
        account.add_file()
    return account
