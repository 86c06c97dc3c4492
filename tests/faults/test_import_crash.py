"""A worker killed in the middle of an import: nothing is added, and the retry adds all, once."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import sqlalchemy as sa

from tests.faults.conftest import Cluster, count
from tests.support import archives
from webapp.auth.accounts import create_user
from webapp.extensions import db
from webapp.imports import actions
from webapp.imports.models import ImportJob
from webapp.notes.models import Attachment, Note

NOTES = 150_000  # an import of several seconds, long enough to break in the middle
FILES = {f"f{i}.txt": f"file {i}\n".encode() * 5000 for i in range(3)}


def wait(cluster: Cluster, job_id: uuid.UUID, check: Callable[[ImportJob], bool]) -> ImportJob:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with cluster.app.app_context():
            job = db.session.get(ImportJob, job_id)
            assert job is not None
            db.session.expunge(job)
        if check(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"import {job_id}: last {job.status} {job.phase}\n{cluster.logs()}")


def test_worker_killed_mid_import_adds_nothing_then_the_retry_adds_everything_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    notes = [archives.note(i) for i in range(NOTES)]
    path = archives.write(tmp_path / "big.zip", archives.members(notes, FILES))
    worker = cluster.worker()
    with cluster.app.app_context():
        user = create_user("mover@example.com", "a long enough password")
        db.session.commit()
        with path.open("rb") as stream:
            job_id = actions.start_import(user.id, [(path.name, stream)]).id
    # When the pool child dies while adding rows (files already copied, rows not committed)
    wait(cluster, job_id, lambda j: j.phase == "adding notes" and j.items_done > 0)
    for child in psutil.Process(worker.pid).children():
        child.kill()
    time.sleep(1)
    # Then nothing of the import is in the account
    assert count(cluster.app, sa.select(sa.func.count()).select_from(Note)) == 0
    assert count(cluster.app, sa.select(sa.func.count()).select_from(Attachment)) == 0
    # And once the sweeper hands it back, the retry adds every record exactly once
    cluster.beat()
    job = wait(cluster, job_id, lambda j: j.ready)
    assert (job.status, job.attempts) == ("succeeded", 2), (job.error_code, cluster.logs())
    assert (job.added_notes, job.added_files) == (NOTES, len(FILES))
    assert count(cluster.app, sa.select(sa.func.count()).select_from(Note)) == NOTES
    assert count(cluster.app, sa.select(sa.func.count(sa.distinct(Note.source_id)))) == NOTES
    assert count(cluster.app, sa.select(sa.func.count()).select_from(Attachment)) == len(FILES)
    # and the store holds exactly the files of the rows: the dead attempt's copies are gone
    stored = {p.name for p in (cluster.folder / "uploads").rglob("*") if p.is_file()}
    with cluster.app.app_context():
        keys = set(db.session.scalars(sa.select(Attachment.storage_key)))
    assert stored == keys
