"""Importing an archive in parts: whole through a real worker, or refused naming the part."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.integration.test_archive_flow import add_note, request_and_wait, upload
from tests.integration.test_parts import PART, download_all
from tests.support import archives
from tests.support.http import PASSWORD, api, csrf_token, sign_up
from tests.support.jobs import wait_for_job
from webapp.auth.models import User
from webapp.extensions import db
from webapp.imports.models import ImportJob
from webapp.notes.models import Attachment, Note
from webapp.storage import UPLOADS, store

NOTES = [
    ("Grüße, 日本語, emoji 🎉", "Ünïcödé body — with «quotes»"),
    ("A long one", "paragraph\n" * 9_000),
    ("=SUM(A1:A9)", "+cmd|' /C calc'!A0\n@formula\t-1"),
]


def import_set(app: Flask, client: FlaskClient, paths: list[Path]) -> dict[str, Any]:
    """Upload every file in the field `archive` of one request, then wait for the import."""
    fields = MultiDict(
        [("archive", FileStorage(io.BytesIO(p.read_bytes()), p.name)) for p in paths]
    )
    boundary, body = encode_multipart(fields)
    response = api(
        client,
        "POST",
        "/api/imports",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 202, response.json
    wait_for_job(app, response.json["id"], model=ImportJob)
    return api(client, "GET", response.headers["Location"]).json  # type: ignore[no-any-return]


def set_contents(paths: list[Path]) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """An archive's notes and files, from whichever part holds each data file."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            for name in ("notes.json", "files.json"):
                if name in archive.namelist():
                    found[name] = orjson.loads(archive.read(name))
    return (
        {(n["title"], n["body"], n["created_at"], n["updated_at"]) for n in found["notes.json"]},
        {(f["name"], f["size"], f["sha256"]) for f in found["files.json"]},
    )


def added_rows(app: Flask, email: str) -> tuple[int, int]:
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
        counts = [
            db.session.scalar(sa.select(sa.func.count()).where(model.user_id == user_id))
            for model in (Note, Attachment)
        ]
        return counts[0] or 0, counts[1] or 0


def export_in_parts(
    app: Flask, client: FlaskClient, folder: Path
) -> tuple[dict[str, Any], list[Path]]:
    """Have the worker build the account's archive in parts, and download every part."""
    job = request_and_wait(app, client)
    assert job["status"] == "succeeded" and len(job["parts"]) >= 4, job
    folder.mkdir()
    return job, download_all(client, job, folder)


def fill(client: FlaskClient) -> None:
    """Notes, several files, and one file larger than a part."""
    for title, body in NOTES:
        add_note(client, title, body)
    for i in range(4):
        upload(client, f"random-{i}.bin", os.urandom(150 * 1024))
    upload(client, "big.bin", os.urandom(PART + 1))


def test_an_archive_in_parts_imports_whole_and_the_account_equals_the_source(
    clean_state: Flask, worker: Any, tmp_path: Path
) -> None:
    # Given an account whose archive the worker wrote as an index part and several parts
    clean_state.config["ARCHIVE_PART_SIZE"] = PART
    source = clean_state.test_client()
    sign_up(source, "big@example.com")
    fill(source)
    job, saved = export_in_parts(clean_state, source, tmp_path / "source")

    # When another account uploads every file at once, the index part last
    arrival = clean_state.test_client()
    sign_up(arrival, "arrival@example.com")
    imported = import_set(clean_state, arrival, [*reversed(saved[1:]), saved[0]])

    # Then every record of every part is added, and the source is the index part's SHA-256
    assert imported["status"] == "succeeded", imported
    assert imported["added"] == {"notes": 3, "files": 5}
    assert imported["source"]["sha256"] == job["sha256"] and imported["source"]["version"] == 2
    # And the account's own archive holds exactly what the source's did
    _, again = export_in_parts(clean_state, arrival, tmp_path / "arrival")
    assert set_contents(again) == set_contents(saved)
    # And the same set again adds nothing; no uploaded part is left in the store
    repeated = import_set(clean_state, arrival, saved)
    assert repeated["added"] == {"notes": 0, "files": 0}
    assert repeated["skipped"] == {"notes": 3, "files": 5}
    with clean_state.app_context():
        keys = [item.key for item in store().keys(UPLOADS)]
    assert len(keys) == 10  # the source's five files and the five imported


def test_a_set_with_a_part_missing_damaged_or_from_another_archive_adds_nothing(
    clean_state: Flask, worker: Any, tmp_path: Path
) -> None:
    # Given two archives in parts of one account, made a moment apart
    clean_state.config.update(ARCHIVE_PART_SIZE=PART, ARCHIVE_COOLDOWN=0)
    source = clean_state.test_client()
    sign_up(source, "twice@example.com")
    fill(source)
    _, first = export_in_parts(clean_state, source, tmp_path / "first")
    _, second = export_in_parts(clean_state, source, tmp_path / "second")
    damaged = tmp_path / first[1].name
    data = bytearray(first[1].read_bytes())
    data[len(data) // 2] ^= 0x55
    damaged.write_bytes(bytes(data))
    sets: dict[str, tuple[list[Path], str]] = {
        "missing": ([first[0], first[1], *first[3:]], f"Part 2 ({first[2].name}) is missing"),
        "damaged": ([first[0], damaged, *first[2:]], "damaged or altered"),
        "stranger": ([first[0], second[1], *first[2:]], "part 1 of another archive"),
    }
    arrival = clean_state.test_client()
    sign_up(arrival, "arrival@example.com")
    for kind, (paths, says) in sets.items():
        # When the set is imported
        job = import_set(clean_state, arrival, paths)
        # Then it fails with its code, names the part, and adds nothing
        assert (job["status"], job["error_code"]) == ("failed", "checksum_mismatch"), kind
        assert says in job["error"], (kind, job["error"])
        assert added_rows(clean_state, "arrival@example.com") == (0, 0)
    with clean_state.app_context():
        assert len(list(store().keys(UPLOADS))) == 5  # only the source's own files


@pytest.fixture
def hand_made_set(tmp_path: Path) -> list[Path]:
    """A small archive in three parts: notes, files.json with one file, the other files."""
    members = archives.members(
        [archives.note(1), archives.note(2)], {"a.txt": b"a\n" * 99, "b.bin": bytes(range(256))}
    )
    first = {k: v for k, v in members.items() if not k.startswith("files")}
    second = {k: v for k, v in members.items() if k in ("files.json", "files/1-a.txt")}
    third = {k: v for k, v in members.items() if k not in first and k not in second}
    return archives.write_set(tmp_path, [first, second, third])


def test_the_cli_imports_several_files_through_the_store_on_both_backends(
    backend: Flask, hand_made_set: list[Path]
) -> None:
    cli = backend.test_cli_runner()
    made = cli.invoke(args=["users", "create", "admin-moved@example.com", "--password", PASSWORD])
    assert made.exit_code == 0, made.output

    def run(paths: list[Path]) -> Any:
        return cli.invoke(args=["imports", "run", "admin-moved@example.com", *map(str, paths)])

    index, *parts = hand_made_set
    # A part left out: refused naming it, nothing added, no uploaded file left
    missing = run([index, parts[0], parts[2]])
    assert missing.exit_code == 1 and "checksum_mismatch" in missing.output
    assert "Part 2 (keepsake-x.part2.zip) is missing" in missing.output
    with backend.app_context():
        assert list(store().keys(UPLOADS)) == []
    # Every part, in any order: all of it added, and the uploads gone
    done = run([parts[2], index, parts[1], parts[0]])
    assert done.exit_code == 0, done.output
    assert "added 2 notes, 2 files" in done.output
    assert added_rows(backend, "admin-moved@example.com") == (2, 2)
    with backend.app_context():
        assert sorted(item.key[0] for item in store().keys(UPLOADS)) == ["i", "i"]


def test_the_page_takes_every_part_in_one_form(
    clean_state: Flask, worker: Any, hand_made_set: list[Path]
) -> None:
    client = clean_state.test_client()
    sign_up(client, "page-parts@example.com")
    files = [("archive", FileStorage(io.BytesIO(p.read_bytes()), p.name)) for p in hand_made_set]
    boundary, body = encode_multipart(
        MultiDict([("csrf_token", csrf_token(client, "/imports")), *reversed(files)])
    )
    response = client.post(
        "/imports", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302
    job_id = api(client, "GET", "/api/imports").json["imports"][0]["id"]
    wait_for_job(clean_state, job_id, model=ImportJob)
    assert "Added 2 notes and 2 files" in client.get("/imports").get_data(as_text=True)
