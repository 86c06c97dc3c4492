"""PostgreSQL (COPY) and SQLite (records) write byte-identical data files from the same rows."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import sqlalchemy as sa
from flask import Flask

from tests.support.migrations import migrate
from tests.support.settings import SECRET
from tests.unit.test_encoding import FORMULAS, HARMLESS, TRICKY
from webapp import create_app
from webapp.archives.builder import Owner, build_archive
from webapp.archives.contents import SECTIONS
from webapp.auth.models import ActivityEvent, User
from webapp.extensions import db
from webapp.notes.models import Note

TEXTS = FORMULAS + HARMLESS + TRICKY + ["ünïcødé ☃", "</script>", "x" * 5000]
START = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
DATA_FILES = [f"{s.name}.{ext}" for s in SECTIONS for ext in ("json", "csv")]


def _fill() -> None:
    """The same rows, ids and instants on whichever database the app uses."""
    db.session.execute(
        sa.insert(User),
        [
            {
                "id": 901,
                "email": "same@example.com",
                "password_hash": "x",
                "display_name": '=Same, "quoted"',
                "is_admin": False,
                "created_at": START,
                "last_login_at": None,
            }
        ],
    )
    stamps = [START + timedelta(seconds=i, microseconds=i * 123_457 % 10**6) for i in range(99)]
    notes = [
        {
            "id": 5000 + i,
            "user_id": 901,
            "title": t[:200],
            "body": f"{t}\n{i}",
            "created_at": s,
            "updated_at": s,
        }
        for i, (t, s) in enumerate(zip(TEXTS, stamps, strict=False))
    ]
    events = [
        {
            "id": 7000 + i,
            "user_id": 901,
            "kind": "probe",
            "created_at": s,
            "ip": None if i % 3 else "203.0.113.9",
            "user_agent": t[:255],
            "detail": None if i % 2 else t[:255],
        }
        for i, (t, s) in enumerate(zip(TEXTS, stamps, strict=False))
    ]
    db.session.execute(sa.insert(Note), notes)
    db.session.execute(sa.insert(ActivityEvent), events)
    db.session.commit()


def _data_files(app: Flask, folder: Path) -> dict[str, bytes]:
    """Build the account's archive on the app's database and read back its data files."""
    with app.app_context():
        _fill()
        target = folder / f"{db.engine.dialect.name}.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        with db.engine.connect() as conn, conn.begin():
            owner = Owner(901, "same@example.com")
            build_archive(conn, owner, SECTIONS, target, lambda *_: None)
    with zipfile.ZipFile(target) as archive:
        return {name: archive.read(name) for name in DATA_FILES}


def test_postgres_and_sqlite_write_the_same_bytes(clean_state: Flask, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/same.db"
    migrate(url)
    lite = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "ARCHIVE_DIR": str(tmp_path / "archives"),
        }
    )
    on_postgres = _data_files(clean_state, tmp_path / "pg")
    on_sqlite = _data_files(lite, tmp_path / "lite")
    for name in DATA_FILES:
        assert on_postgres[name] == on_sqlite[name], name
    notes = orjson.loads(on_postgres["notes.json"])
    assert [n["title"] for n in notes] == [t[:200] for t in TEXTS]
    assert notes[1]["created_at"] == "2026-03-04T05:06:08.123457+00:00"
    assert notes[0]["created_at"] == "2026-03-04T05:06:07+00:00"
    assert b'"\'=1+1"' in on_postgres["notes.csv"] and b"'=Same" in on_postgres["profile.csv"]
