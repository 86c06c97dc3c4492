"""An archive is one moment: rows written during the build appear in no member of it."""

from __future__ import annotations

import csv
import io
import zipfile

import orjson
from flask import Flask

from webapp.archives import actions, runner, transitions
from webapp.auth.accounts import create_user
from webapp.extensions import db
from webapp.notes.models import Note
from webapp.notes.seed import seed_notes


def test_json_and_csv_come_from_one_snapshot_despite_concurrent_writes(
    clean_state: Flask,
) -> None:
    with clean_state.app_context():
        user = create_user("moment@example.com", "a long enough password")
        db.session.flush()
        seed_notes(user.id, 20_000)
        db.session.commit()
        actions.request_archive(user.id, enqueue_message=False)
        claim = transitions.claim(user.id, 600)
        assert claim is not None
        engine = db.engine
        written: list[str] = []

        def progress(phase: str, done: int, total: int) -> None:
            # Midway through the notes, another transaction adds one.
            if phase == "notes" and not written:
                with engine.begin() as conn:
                    conn.execute(
                        Note.__table__.insert().values(
                            user_id=user.id,
                            title="late arrival",
                            body="",
                            created_at=db.func.now(),
                            updated_at=db.func.now(),
                        )
                    )
                written.append(phase)

        result = runner.build(claim, user, progress)
        transitions.succeed(claim, result, f"{claim.job_id}-{claim.attempt}.zip", 3600)
        path = clean_state.config["ARCHIVE_DIR"] + f"/{claim.job_id}-{claim.attempt}.zip"
        with zipfile.ZipFile(path) as archive:
            notes = orjson.loads(archive.read("notes.json"))
            rows = list(csv.DictReader(io.StringIO(archive.read("notes.csv").decode())))
            manifest = orjson.loads(archive.read("manifest.json"))
    assert written and result.counts["notes"] == 20_000
    assert len(notes) == len(rows) == manifest["sections"]["notes"]["count"] == 20_000
    assert "late arrival" not in {n["title"] for n in notes} | {r["title"] for r in rows}
    assert [n["id"] for n in notes] == [int(r["id"]) for r in rows]
