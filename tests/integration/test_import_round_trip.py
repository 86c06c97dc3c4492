"""Export, import elsewhere, export again: two instances, separate databases and stores."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from flask import Flask

from tests.support.chains import EVERYTHING, INCREMENTAL, signed_up
from tests.support.http import PASSWORD, csrf_token, login, sign_up
from tests.support.migrations import migrate
from tests.support.settings import SECRET
from webapp import create_app
from webapp.archives.models import ArchiveJob
from webapp.archives.storage import scratch_path
from webapp.extensions import db
from webapp.notes.models import Note

NOTES = [
    ("Grüße, 日本語, emoji 🎉", "Ünïcödé body — with «quotes»"),
    ("A long one", "paragraph\n" * 9_000),
    ("=SUM(A1:A9)", "+cmd|' /C calc'!A0\n@formula\t-1"),
    ("Edited later", "first version"),
]
FILES = {
    "notes.txt": b"plain text that deflates well\n" * 4000,
    "photo.jpg": bytes(range(256)) * 512,  # already compressed: stored, not deflated
}


@pytest.fixture(params=["postgresql", "sqlite"])
def second_instance(
    request: pytest.FixtureRequest, make_database: Callable[[], str], tmp_path: Path
) -> Iterator[Flask]:
    """Another Keepsake: its own database (`make run`'s SQLite too) and folders, nothing shared."""
    url = make_database() if request.param == "postgresql" else f"sqlite:///{tmp_path}/b.sqlite"
    migrate(url)
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": str(tmp_path / "b" / "uploads"),
            "ARCHIVE_DIR": str(tmp_path / "b" / "archives"),
        }
    )
    yield other
    with other.app_context():
        db.engine.dispose()


def export(app: Flask, email: str) -> Path:
    """Build the account's archive in-process, as `flask archives build` does."""
    result = app.test_cli_runner().invoke(args=["archives", "build", email])
    assert result.exit_code == 0, result.output
    with app.app_context():
        key = db.session.scalar(
            sa.select(ArchiveJob.storage_key).order_by(ArchiveJob.finished_at.desc()).limit(1)
        )
        assert key
        return scratch_path(key)  # local: kept where it was built


def contents(path: Path) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The archive's notes and files as sets of what a round trip must keep."""
    with zipfile.ZipFile(path) as archive:
        notes = orjson.loads(archive.read("notes.json"))
        files = orjson.loads(archive.read("files.json"))
    return (
        {(n["title"], n["body"], n["created_at"], n["updated_at"]) for n in notes},
        {(f["name"], f["size"], f["sha256"]) for f in files},
    )


def fill(app: Flask) -> None:
    """Notes (one edited afterwards) and files, through the pages as a user would."""
    client = app.test_client()
    sign_up(client, "traveller@example.com")
    for title, body in NOTES:
        token = csrf_token(client, "/notes")
        response = client.post("/notes", data={"title": title, "body": body, "csrf_token": token})
        assert response.status_code == 302
    for name, data in FILES.items():
        token = csrf_token(client, "/files")
        response = client.post(
            "/files",
            data={"file": (io.BytesIO(data), name), "csrf_token": token},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    with app.app_context():  # an edit: new text, a later updated_at than created_at
        db.session.execute(
            sa.update(Note)
            .where(Note.title == "Edited later")
            .values(
                body="second version", updated_at=Note.created_at + sa.text("interval '3 days'")
            )
        )
        db.session.commit()


def test_export_import_export_keeps_notes_and_files(
    clean_state: Flask, second_instance: Flask
) -> None:
    fill(clean_state)
    first = export(clean_state, "traveller@example.com")
    cli = second_instance.test_cli_runner()
    made = cli.invoke(args=["users", "create", "arrival@example.com", "--password", PASSWORD])
    assert made.exit_code == 0, made.output
    imported = cli.invoke(args=["imports", "run", "arrival@example.com", str(first)])
    assert imported.exit_code == 0, imported.output
    assert "added 4 notes, 2 files" in imported.output
    second = export(second_instance, "arrival@example.com")
    notes, files = contents(first)
    assert len(notes) == 4 and len(files) == 2
    assert any(n[2] != n[3] for n in notes)  # the edited note kept both moments
    assert contents(second) == (notes, files)
    # and importing the first archive again adds nothing
    again = cli.invoke(args=["imports", "run", "arrival@example.com", str(first)])
    assert "added 0 notes, 0 files; skipped 4 notes, 2 files" in again.output


def test_a_full_archive_and_three_increments_imported_in_order_give_the_last_state(
    clean_state: Flask, second_instance: Flask
) -> None:
    # Given a chain from an account whose notes and files were added, edited and deleted
    account = signed_up(clean_state, "chain@example.com", notes=6, files=3)
    chain = [account.archive(EVERYTHING)]
    for _ in range(3):
        account.change()
        chain.append(account.archive(INCREMENTAL))
    last = account.archive(EVERYTHING)
    cli = second_instance.test_cli_runner()
    made = cli.invoke(args=["users", "create", "arrival@example.com", "--password", PASSWORD])
    assert made.exit_code == 0, made.output

    # An increment whose predecessor is not here is refused, and adds nothing
    early = cli.invoke(args=["imports", "run", "arrival@example.com", str(chain[2])])
    assert early.exit_code == 1 and "unsupported_version" in early.output
    assert "has not imported" in early.output

    # When the chain is imported in order, each link applies its changes
    outputs = []
    for path in chain:
        imported = cli.invoke(args=["imports", "run", "arrival@example.com", str(path)])
        assert imported.exit_code == 0, imported.output
        outputs.append(imported.output)
    assert all("increment: changed" in output for output in outputs[1:])

    page = second_instance.test_client()
    assert login(page, "arrival@example.com").status_code == 302
    assert "Changed " in page.get("/imports").get_data(as_text=True)

    # Then a new export of the second instance holds exactly the last state, deletions included
    second = export(second_instance, "arrival@example.com")
    assert contents(second) == contents(last)
    # And importing a link again changes nothing
    again = cli.invoke(args=["imports", "run", "arrival@example.com", str(chain[1])])
    assert again.exit_code == 0 and "added 0 notes, 0 files" in again.output
    assert contents(export(second_instance, "arrival@example.com")) == contents(last)
