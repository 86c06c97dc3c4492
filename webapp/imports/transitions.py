"""Every change of an import job's state: compare-and-set on the state it expects, with its event.

The same rules as archives/transitions.py, on the import_jobs table: callers choose rows and
react, they never write status. `succeed` runs inside the importer's transaction, so the rows
an import adds commit if and only if the job they belong to succeeds.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from webapp.archives.models import ACTIVE_STATES, JobStatus
from webapp.archives.rows import REQUEUED, JobRef, JobTable, ended
from webapp.archives.transitions import WORKER_LOST
from webapp.auth.activity import record
from webapp.extensions import db
from webapp.imports.models import ImportJob
from webapp.types import utcnow

jobs = ImportJob.__table__
table = JobTable(jobs)
HEARTBEAT_SECONDS = 1.0
RETRIES_EXHAUSTED = "The import kept hitting temporary errors. Please try again later."


class ImportCancelled(Exception):
    """The user asked to cancel; the heartbeat stops the import between batches."""


@dataclass(frozen=True)
class Counts:
    """Records added, skipped (already there), changed and deleted by an increment, per section."""

    added_notes: int = 0
    added_files: int = 0
    skipped_notes: int = 0
    skipped_files: int = 0
    changed_notes: int = 0
    deleted_notes: int = 0
    deleted_files: int = 0


@dataclass(frozen=True)
class Claim:
    """Proof that this worker runs this attempt of this import."""

    job_id: uuid.UUID
    user_id: int
    attempt: int

    def owned(self) -> sa.ColumnElement[bool]:
        """Match the row only while this attempt still holds it."""
        return table.owned(self.job_id, self.attempt)


def request(user_id: int, upload_key: str, size: int, sha256: str) -> uuid.UUID | None:
    """queued: a new import of a stored upload; None when the user already has an active one."""
    job_id = uuid.uuid4()
    values = {"id": job_id, "user_id": user_id, "upload_key": upload_key}
    try:
        with db.engine.begin() as conn:
            conn.execute(
                sa.insert(jobs).values(**values, size=size, sha256=sha256, requested_at=utcnow())
            )
            record(user_id, "import_requested", str(job_id), conn=conn)
    except IntegrityError:
        return None
    return job_id


def mark_enqueued(job_id: uuid.UUID) -> None:
    """Note when the wake-up was sent, so the sweeper waits its grace period."""
    table.set_enqueued(job_id, utcnow())


def take_unsent(cutoff: datetime) -> list[JobRef]:
    """Mark queued imports whose message is older than cutoff as sent now, and return them."""
    return table.change(table.locked(table.unsent(cutoff)), {"enqueued_at": utcnow()}, None)


def claim(job_id: uuid.UUID, lease_seconds: int) -> Claim | None:
    """queued -> running for this attempt, or None when another delivery took it first."""
    now = utcnow()
    values = {
        "status": JobStatus.RUNNING,
        "attempts": jobs.c.attempts + 1,
        "phase": "starting",
        "lease_until": now + timedelta(seconds=lease_seconds),
        "started_at": sa.func.coalesce(jobs.c.started_at, now),
    }
    with db.engine.begin() as conn:
        row = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == JobStatus.QUEUED)
            .values(**values)
            .returning(jobs.c.user_id, jobs.c.attempts)
        ).first()
        if row is None:
            return None
        record(row.user_id, "import_started", str(job_id), conn=conn)
    return Claim(job_id, row.user_id, row.attempts)


class Heartbeat:
    """running -> running: progress and a renewed lease, at most once a second."""

    def __init__(
        self,
        claim: Claim,
        lease_seconds: int,
        shown: Callable[[str, int, int], None] | None = None,
    ) -> None:
        """Remember the claim, the lease length, and who else shows every report (a CLI bar)."""
        self.claim = claim
        self.lease_seconds = lease_seconds
        self.shown = shown
        self._last = 0.0
        self._within: Connection | None = None

    @contextmanager
    def joining(self, conn: Connection) -> Iterator[None]:
        """Write inside conn's transaction while it adds rows, where SQLite needs that.

        SQLite has one writer at a time, and that transaction is it: a heartbeat on a
        connection of its own would wait for it and fail "database is locked". PostgreSQL
        keeps its own commits, so others see the progress and the renewed lease meanwhile.
        """
        self._within = conn if conn.dialect.name == "sqlite" else None
        try:
            yield
        finally:
            self._within = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        """Report progress; raise when the import must stop (cancelled or lease lost)."""
        if self.shown is not None:
            self.shown(phase, done, total)
        now = time.monotonic()
        if now - self._last < HEARTBEAT_SECONDS and phase != "finishing":
            return
        self._last = now
        claim = self.claim
        lease = self.lease_seconds
        if table.beat(claim.job_id, claim.attempt, lease, phase, done, total, self._within):
            raise ImportCancelled(str(claim.job_id))


def note_source(
    claim: Claim, source_format: str, version: int, email: str | None, root: str
) -> bool:
    """running -> running: the checked archive's origin, shown on the job, and its chain."""
    values = {
        "source_format": source_format,
        "source_version": version,
        "source_email": email,
        "source_root": root,
    }
    return bool(table.change(claim.owned(), values, None))


def succeed(conn: Connection, claim: Claim, counts: Counts) -> bool:
    """running -> succeeded in the importer's transaction; False when the attempt lost the job."""
    values = {
        "status": JobStatus.SUCCEEDED,
        "progress": 100,
        "phase": "done",
        "finished_at": utcnow(),
        "lease_until": None,
        "upload_key": None,
        "error_code": None,
        "error": None,
        **vars(counts),
    }
    return bool(table.apply(conn, claim.owned(), values, "import_succeeded"))


def _ended(status: JobStatus, code: str | None, message: str | None) -> dict[str, Any]:
    """The values of an unsuccessful end; the upload is removed by the caller."""
    return {**ended(status, code, message), "upload_key": None}


def fail(claim: Claim, code: str, message: str) -> bool:
    """running -> failed with a user-safe reason; False when the attempt lost the job."""
    return bool(
        table.change(claim.owned(), _ended(JobStatus.FAILED, code, message), "import_failed")
    )


def cancel(claim: Claim) -> bool:
    """running -> cancelled: the worker saw the cancel flag and stopped."""
    values = _ended(JobStatus.CANCELLED, None, None)
    return bool(table.change(claim.owned(), values, "import_cancelled"))


def release(claim: Claim, max_attempts: int) -> bool:
    """running -> queued after a transient error (True), or -> failed when out of attempts."""
    if claim.attempt >= max_attempts:
        fail(claim, "retries_exhausted", RETRIES_EXHAUSTED)
        return False
    return bool(
        table.change(claim.owned(), {**REQUEUED, "enqueued_at": utcnow()}, "import_retrying")
    )


def requeue(now: datetime, max_attempts: int) -> list[JobRef]:
    """running -> queued for every import whose lease ran out with attempts left."""
    stale = sa.and_(table.stale(now), jobs.c.attempts < max_attempts)
    return table.change(table.locked(stale), {**REQUEUED, "enqueued_at": None}, "import_requeued")


def fail_lost(now: datetime, max_attempts: int) -> list[tuple[JobRef, str | None]]:
    """running -> failed (worker_lost) on the last attempt; returns the uploads to remove."""
    lost = sa.and_(table.stale(now), jobs.c.attempts >= max_attempts)
    with db.engine.begin() as conn:
        uploads = conn.execute(sa.select(jobs.c.id, jobs.c.upload_key).where(lost)).tuples()
        keys: dict[uuid.UUID, str | None] = dict(uploads.all())
        refs = table.apply(
            conn,
            table.locked(lost),
            _ended(JobStatus.FAILED, "worker_lost", WORKER_LOST),
            "import_failed",
        )
    return [(ref, keys.get(ref.job_id)) for ref in refs]


def request_cancel(job_id: uuid.UUID) -> tuple[JobStatus, str | None] | None:
    """queued -> cancelled now (with its upload to remove); running: flag it. None when final."""
    with db.engine.begin() as conn:
        flagged = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status.in_(ACTIVE_STATES))
            .values(cancel_requested=True)
            .returning(jobs.c.user_id, jobs.c.status, jobs.c.upload_key)
        ).first()
        if flagged is None:
            return None
        if flagged.status == JobStatus.RUNNING:
            record(flagged.user_id, "import_cancel_requested", str(job_id), conn=conn)
            return JobStatus.RUNNING, None
        queued = sa.and_(jobs.c.id == job_id, jobs.c.status == JobStatus.QUEUED)
        table.apply(conn, queued, _ended(JobStatus.CANCELLED, None, None), "import_cancelled")
        return JobStatus.CANCELLED, flagged.upload_key
