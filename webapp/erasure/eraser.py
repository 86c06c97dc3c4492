"""The erasure job: lock the account, stop its jobs, remove its objects, then delete its rows.

Each step is safe to repeat, and the account is locked (no password works, every session is
void) before anything is removed, so an erasure that fails half way is resumed by the next
sweep and never leaves an account that can log in with part of its data gone.
"""

from __future__ import annotations

import logging
import uuid

import sqlalchemy as sa

from webapp.archives import actions as archive_actions
from webapp.archives import storage as archive_storage
from webapp.archives import transitions as archive_transitions
from webapp.archives.models import ACTIVE_STATES, ArchiveJob
from webapp.auth.activity import SYSTEM_AGENT
from webapp.auth.models import ActivityEvent, User
from webapp.erasure.audit import ERASED, email_digest
from webapp.extensions import db
from webapp.imports import storage as import_storage
from webapp.imports import transitions as import_transitions
from webapp.imports.models import ImportJob
from webapp.notes import storage as upload_storage
from webapp.notes.models import Attachment, Tombstone
from webapp.types import utcnow

log = logging.getLogger(__name__)
# Not an Argon2 hash: no password verifies against it.
LOCKED = "!erased"
users = User.__table__


def due_accounts() -> list[int]:
    """Accounts whose grace period is over, oldest request first."""
    query = sa.select(User.id).where(User.erase_at <= utcnow()).order_by(User.erase_at)
    with db.engine.connect() as conn:
        return list(conn.scalars(query))


def erase(user_id: int) -> str:
    """Run (or resume) one account's erasure: erased, waiting (a job is still running), or gone."""
    if not _lock(user_id):
        return "gone"
    if _stop_jobs(user_id):
        return "waiting"  # the next sweep comes back once the running job has stopped
    _remove_objects(user_id)
    return "erased" if _delete_rows(user_id) else "gone"


def _lock(user_id: int) -> bool:
    """Make the account unusable first: no password verifies, every session is void."""
    with db.engine.begin() as conn:
        locked = conn.execute(
            sa.update(users)
            .where(users.c.id == user_id, users.c.erase_at <= utcnow())
            .values(password_hash=LOCKED, session_version=users.c.session_version + 1)
        )
        return bool(locked.rowcount)


def _stop_jobs(user_id: int) -> bool:
    """Cancel queued jobs and flag running ones; True while any of them still runs."""
    for job_id in _active(ArchiveJob, user_id):
        archive_transitions.request_cancel(job_id)
    for job_id in _active(ImportJob, user_id):
        outcome = import_transitions.request_cancel(job_id)
        if outcome is not None:
            import_storage.remove(outcome[1])
    return bool(_active(ArchiveJob, user_id) or _active(ImportJob, user_id))


def _active(model: type[ArchiveJob] | type[ImportJob], user_id: int) -> list[uuid.UUID]:
    """Ids of the account's queued or running jobs of one kind."""
    query = sa.select(model.id).where(model.user_id == user_id, model.status.in_(ACTIVE_STATES))
    with db.engine.connect() as conn:
        return list(conn.scalars(query))


def _remove_objects(user_id: int) -> None:
    """Delete every stored byte of the account: uploads, archives (with temp files), imports."""
    with db.engine.connect() as conn:
        stored = sa.select(Attachment.storage_key).where(Attachment.user_id == user_id)
        # Deleted files whose bytes still wait for a build to end.
        waiting = sa.select(Tombstone.storage_key).where(
            Tombstone.user_id == user_id, Tombstone.storage_key.is_not(None)
        )
        for keys in (stored, waiting):
            # In batches, so a large account is walked in constant memory.
            for key in conn.execute(keys.execution_options(yield_per=1000)).scalars():
                upload_storage.remove(key or "")
        imports = conn.execute(
            sa.select(ImportJob.id, ImportJob.upload_key).where(ImportJob.user_id == user_id)
        ).all()
    for job_id, upload_key in imports:
        import_storage.remove(upload_key)
        import_storage.remove_attempts(job_id)
    for job in db.session.scalars(sa.select(ArchiveJob).where(ArchiveJob.user_id == user_id)):
        # The file goes before the row, so a failure here leaves the row to resume from.
        archive_storage.remove_partials(job.id)
        archive_storage.remove(job.storage_key)
        archive_actions.delete(job)  # the row, and whatever else a job stores
    db.session.commit()


def _delete_rows(user_id: int) -> bool:
    """Delete every row of the account and write the audit record, in one transaction."""
    with db.engine.begin() as conn:
        email = conn.scalar(
            sa.select(users.c.email)
            .where(users.c.id == user_id, users.c.password_hash == LOCKED)
            .with_for_update()
        )
        if email is None:
            return False
        # Every table that names a user, children first, so no foreign key is left dangling.
        for table in reversed(db.metadata.sorted_tables):
            if "user_id" in table.c and table is not users:
                conn.execute(sa.delete(table).where(table.c.user_id == user_id))
        conn.execute(sa.delete(users).where(users.c.id == user_id))
        conn.execute(
            sa.insert(ActivityEvent.__table__).values(
                user_id=None,
                kind=ERASED,
                detail=f"hmac-sha256:{email_digest(email)}",
                created_at=utcnow(),
                user_agent=SYSTEM_AGENT,
            )
        )
    log.info("account %s erased", user_id)
    return True
