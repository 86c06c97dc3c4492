"""The moves every job table shares (archive_jobs, import_jobs): each one a compare-and-set.

The transitions modules say which move a state change is and which event it leaves; this
module only knows how a job row is matched, locked, updated and recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from webapp.archives.models import JobRow, JobStatus
from webapp.auth.activity import record
from webapp.extensions import db
from webapp.types import utcnow

# What a job looks like when it goes back to the queue, whoever sends it back.
REQUEUED = {"status": JobStatus.QUEUED, "phase": "waiting", "lease_until": None}


class LeaseLost(Exception):
    """Another worker owns the job now (our lease expired); stop without writing."""


@dataclass(frozen=True)
class JobRef:
    """A job and its owner, as set-based transitions report the rows they changed."""

    job_id: uuid.UUID
    user_id: int


AfterChange = Callable[[Connection, list[JobRef]], None]
J = TypeVar("J", bound=JobRow)


def reloaded(model: type[J], job_id: uuid.UUID) -> J:
    """Read a job as the last transition left it (transitions write outside the session)."""
    job = db.session.get(model, job_id, populate_existing=True)
    if job is None:
        raise LookupError(f"{model.__tablename__} {job_id} vanished")  # type: ignore[attr-defined]
    return job


def ended(status: JobStatus, code: str | None, message: str | None) -> dict[str, Any]:
    """The values of an unsuccessful end."""
    return {
        "status": status,
        "phase": status.value,
        "finished_at": utcnow(),
        "lease_until": None,
        "error_code": code,
        "error": message,
    }


class JobTable:
    """One job table, and the updates that every state change on it is made of."""

    def __init__(self, table: sa.Table) -> None:
        """Work on `table`, which has the columns of models.JobRow."""
        self.table = table
        self.c = table.c

    def owned(self, job_id: uuid.UUID, attempt: int) -> sa.ColumnElement[bool]:
        """Match the row only while this attempt still holds it."""
        return sa.and_(
            self.c.id == job_id, self.c.status == JobStatus.RUNNING, self.c.attempts == attempt
        )

    def locked(self, where: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        """Restrict a set-based change to rows no other sweeper holds (SKIP LOCKED)."""
        free = sa.select(self.c.id).where(where).with_for_update(skip_locked=True)
        locked: sa.ColumnElement[bool] = self.c.id.in_(free)
        return locked

    def stale(self, now: datetime) -> sa.ColumnElement[bool]:
        """Running jobs whose worker stopped renewing the lease."""
        return sa.and_(self.c.status == JobStatus.RUNNING, self.c.lease_until < now)

    def unsent(self, cutoff: datetime) -> sa.ColumnElement[bool]:
        """Queued jobs whose wake-up was never sent, or sent before cutoff."""
        return sa.and_(
            self.c.status == JobStatus.QUEUED,
            sa.or_(self.c.enqueued_at.is_(None), self.c.enqueued_at < cutoff),
        )

    def events(self, conn: Connection, kind: str, refs: list[JobRef]) -> None:
        """Write one activity event per changed job, inside the change's transaction."""
        for ref in refs:
            record(ref.user_id, kind, str(ref.job_id), conn=conn)

    def apply(
        self,
        conn: Connection,
        where: sa.ColumnElement[bool],
        values: dict[str, Any],
        kind: str | None,
        after: AfterChange | None = None,
    ) -> list[JobRef]:
        """One compare-and-set UPDATE in the caller's transaction, its events, then `after`."""
        rows = conn.execute(
            sa.update(self.table).where(where).values(**values).returning(self.c.id, self.c.user_id)
        ).all()
        refs = [JobRef(row.id, row.user_id) for row in rows]
        if kind:
            self.events(conn, kind, refs)
        if after and refs:
            after(conn, refs)
        return refs

    def change(
        self,
        where: sa.ColumnElement[bool],
        values: dict[str, Any],
        kind: str | None,
        after: AfterChange | None = None,
    ) -> list[JobRef]:
        """Apply one compare-and-set in a transaction of its own."""
        with db.engine.begin() as conn:
            return self.apply(conn, where, values, kind, after)

    def set_enqueued(self, job_id: uuid.UUID, moment: datetime | None) -> None:
        """Note when the wake-up was sent (None: never), for the sweeper's grace period."""
        with db.engine.begin() as conn:
            conn.execute(
                sa.update(self.table).where(self.c.id == job_id).values(enqueued_at=moment)
            )

    def beat(
        self,
        job_id: uuid.UUID,
        attempt: int,
        lease_seconds: int,
        phase: str,
        done: int,
        total: int,
        within: Connection | None = None,
    ) -> bool:
        """Write progress and renew the lease; True when cancel was asked. LeaseLost: not ours.

        `within`: write in that open transaction instead of committing one of its own.
        """
        values = {
            "phase": phase,
            "items_done": done,
            "items_total": total,
            "progress": min(99, done * 100 // total) if total else 0,
            "lease_until": utcnow() + timedelta(seconds=lease_seconds),
        }
        update = (
            sa.update(self.table)
            .where(self.owned(job_id, attempt))
            .values(**values)
            .returning(self.c.cancel_requested)
        )
        if within is not None:
            row = within.execute(update).first()
        else:
            with db.engine.begin() as conn:
                row = conn.execute(update).first()
        if row is None:
            raise LeaseLost(str(job_id))
        return bool(row.cancel_requested)
