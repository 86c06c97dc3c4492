"""The end state every fault test asserts."""

from __future__ import annotations

import sqlalchemy as sa

from tests.faults.conftest import Cluster, count
from webapp.archives.models import ArchiveJob
from webapp.archives.verify import verify_archive
from webapp.auth.models import ActivityEvent


def assert_succeeded_once(cluster: Cluster, job_id: str, attempts: int) -> None:
    """One success, one archive that verifies, no temp file, the expected attempts."""
    job = cluster.job(job_id)
    assert job.status == "succeeded", cluster.logs()
    assert job.attempts == attempts, f"attempts={job.attempts}\n{cluster.logs()}"
    # The notification is taken in its own transaction after the success: wait for it, or a
    # loaded machine checks between the two and fails a run that was right.
    cluster.wait(job_id, lambda j: j.notified_at is not None, timeout=30, what="notification")
    successes = sa.select(sa.func.count()).where(
        ActivityEvent.kind == "archive_succeeded", ActivityEvent.detail == job_id
    )
    assert count(cluster.app, successes) == 1
    files = sorted(p.name for p in cluster.archive_dir.iterdir())
    assert files == [job.storage_key], files
    assert verify_archive(cluster.archive_dir / files[0]).ok


def assert_failed(cluster: Cluster, job_id: str, code: str) -> None:
    """A named failure with a message, and nothing left on disk."""
    job = cluster.job(job_id)
    assert (job.status, job.error_code) == ("failed", code), f"{job.status} {job.error_code}"
    assert job.error and job.finished_at is not None
    assert list(cluster.archive_dir.glob("*")) == []


def active_jobs_per_user_above_one(cluster: Cluster) -> int:
    """How many users have more than one queued/running job (must always be 0)."""
    query = (
        sa.select(ArchiveJob.user_id)
        .where(ArchiveJob.status.in_(("queued", "running")))
        .group_by(ArchiveJob.user_id)
        .having(sa.func.count() > 1)
    )
    return count(cluster.app, sa.select(sa.func.count()).select_from(query.subquery()))
