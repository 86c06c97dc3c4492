"""Alembic's head is the models, on PostgreSQL and SQLite, and every revision goes both ways."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.migrations import alembic, migrate
from webapp.archives.watermark import UNMODELLED_TABLES


def check(url: str) -> None:
    alembic(url, "check")  # raises on any drift


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        # SQLite's change counter lives outside the models (webapp/archives/watermark.py).
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version", *UNMODELLED_TABLES}
    finally:
        engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(
    request: pytest.FixtureRequest, make_database: Callable[[], str], tmp_path: Path
) -> str:
    return make_database() if request.param == "postgresql" else f"sqlite:///{tmp_path}/k.db"


def test_upgrade_matches_models_and_downgrade_empties(empty_database: str) -> None:
    migrate(empty_database)
    check(empty_database)
    assert tables(empty_database) == {
        "users",
        "notes",
        "attachments",
        "activity_events",
        "archive_jobs",
        "import_jobs",
        "archive_attempts",
        "archive_schedules",
        "tombstones",
    }
    migrate(empty_database, "base", downgrade=True)
    assert tables(empty_database) == set()
    migrate(empty_database)  # and up again
    check(empty_database)


def test_one_active_job_per_user_is_enforced_by_the_database(empty_database: str) -> None:
    migrate(empty_database)
    engine = sa.create_engine(empty_database)
    insert = sa.text(
        "INSERT INTO archive_jobs (id, user_id, status, progress, phase, items_done,"
        " items_total, attempts, cancel_requested, requested_at) VALUES (:id, 1,"
        " :status, 0, 'w', 0, 0, 0, false, CURRENT_TIMESTAMP)"
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, password_hash, display_name, is_admin,"
                " session_version, created_at) VALUES (1, 'a@b.c', 'x', 'a', false,"
                " 1, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(insert, {"id": "00000000000000000000000000000001", "status": "succeeded"})
        conn.execute(insert, {"id": "00000000000000000000000000000002", "status": "queued"})
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"id": "00000000000000000000000000000003", "status": "running"})
    engine.dispose()


def test_storage_revision_backfills_crc32_from_the_stored_files(
    make_database: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a database at 0001 with two uploads, one of whose files is gone
    url = make_database()
    monkeypatch.setenv("FLASK_UPLOAD_DIR", str(tmp_path / "uploads"))
    migrate(url, "0006_edge")
    kept, lost = "ab" + "1" * 30, "cd" + "2" * 30
    (tmp_path / "uploads" / "ab").mkdir(parents=True)
    (tmp_path / "uploads" / "ab" / kept).write_bytes(b"stored bytes" * 1000)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, password_hash, display_name, is_admin,"
                " session_version, created_at) VALUES (1, 'a@example.com', 'x', 'a', false, 1,"
                " CURRENT_TIMESTAMP)"
            )
        )
        for key in (kept, lost):
            conn.execute(
                sa.text(
                    "INSERT INTO attachments (user_id, original_name, storage_key, size,"
                    " content_type, sha256, created_at) VALUES (1, 'f', :key, 12000,"
                    " 'text/plain', 'x', CURRENT_TIMESTAMP)"
                ),
                {"key": key},
            )

    # When the storage revision runs
    migrate(url, "0002_storage")

    # Then the kept file's CRC-32 is recorded, and the lost one stays NULL for the orphan check
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT storage_key, crc32 FROM attachments")).all())
    engine.dispose()
    assert rows == {kept: zlib.crc32(b"stored bytes" * 1000), lost: None}
