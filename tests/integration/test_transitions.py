"""Every state change of a job, one test each: the compare-and-set and the event it writes."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask, current_app

from webapp.archives import sweeper, transitions
from webapp.archives.builder import BuildResult
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.archives.rows import LeaseLost
from webapp.archives.transitions import BuildCancelled, Claim
from webapp.auth.accounts import create_user
from webapp.auth.models import ActivityEvent
from webapp.extensions import db
from webapp.types import utcnow

MAX_ATTEMPTS = 3
RESULT = BuildResult(size=10, sha256="ab" * 32, counts={})


@pytest.fixture
def user_id(clean_state: Flask) -> Iterator[int]:
    """An account, inside an app context for the test's body."""
    with clean_state.app_context():
        user = create_user(f"t-{uuid.uuid4().hex[:8]}@example.com", "a long enough password")
        db.session.commit()
        yield user.id
        # No worker holds this test's claims: end them, or the suite waits for them to finish.
        db.session.execute(
            sa.update(ArchiveJob)
            .where(ArchiveJob.user_id == user.id, ArchiveJob.status == JobStatus.RUNNING)
            .values(status=JobStatus.CANCELLED)
        )
        db.session.commit()


def job(job_id: uuid.UUID) -> ArchiveJob:
    """Read the row as the last transition left it."""
    found = db.session.get(ArchiveJob, job_id, populate_existing=True)
    assert found is not None
    db.session.rollback()
    return found


def events(user_id: int) -> list[tuple[str, str | None]]:
    """The user's activity trail, oldest first."""
    rows = db.session.execute(
        sa.select(ActivityEvent.kind, ActivityEvent.detail)
        .where(ActivityEvent.user_id == user_id)
        .order_by(ActivityEvent.id)
    ).all()
    db.session.rollback()
    return [(kind, detail) for kind, detail in rows]


def running(user_id: int) -> Claim:
    """A job requested and claimed by this test, as a worker would hold it."""
    assert transitions.request(user_id) is not None
    claim = transitions.claim(user_id, 60)
    assert claim is not None
    return claim


def expire_lease(job_id: uuid.UUID, attempts: int) -> None:
    """Make a running job look abandoned by its worker after `attempts` claims."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(ArchiveJob.__table__)
            .where(ArchiveJob.__table__.c.id == job_id)
            .values(lease_until=utcnow() - timedelta(seconds=1), attempts=attempts)
        )


def test_request_queues_once_per_user(user_id: int) -> None:
    job_id = transitions.request(user_id)
    assert job_id is not None
    assert transitions.request(user_id) is None  # the one-active index refuses a second
    assert job(job_id).status == JobStatus.QUEUED
    assert events(user_id) == [("archive_requested", str(job_id))]


def test_claim_takes_the_queued_job_once(user_id: int) -> None:
    claim = running(user_id)
    assert transitions.claim(user_id, 60) is None
    row = job(claim.job_id)
    assert (row.status, row.attempts, claim.attempt) == (JobStatus.RUNNING, 1, 1)
    assert row.lease_until is not None and row.lease_until > utcnow()
    assert events(user_id)[-1] == ("archive_started", str(claim.job_id))


def test_heartbeat_writes_progress_and_renews_the_lease(user_id: int) -> None:
    claim = running(user_id)
    transitions.Heartbeat(claim, 600)("notes", 25, 100)
    row = job(claim.job_id)
    assert (row.phase, row.items_done, row.items_total, row.progress) == ("notes", 25, 100, 25)
    assert row.lease_until is not None and row.lease_until > utcnow() + timedelta(seconds=500)


def test_heartbeat_stops_a_cancelled_build_and_a_stale_attempt(user_id: int) -> None:
    claim = running(user_id)
    assert transitions.request_cancel(claim.job_id) == JobStatus.RUNNING
    with pytest.raises(BuildCancelled):
        transitions.Heartbeat(claim, 60)("notes", 1, 2)
    stale = dataclasses.replace(claim, attempt=claim.attempt + 1)
    with pytest.raises(LeaseLost):
        transitions.Heartbeat(stale, 60)("notes", 1, 2)


def test_succeed_records_the_archive_only_for_the_owning_attempt(user_id: int) -> None:
    claim = running(user_id)
    stale = dataclasses.replace(claim, attempt=claim.attempt + 1)
    assert not transitions.succeed(stale, RESULT, "stale.zip", 60)
    assert transitions.succeed(claim, RESULT, "key.zip", 60)
    row = job(claim.job_id)
    assert (row.status, row.progress, row.storage_key, row.size) == (
        JobStatus.SUCCEEDED,
        100,
        "key.zip",
        10,
    )
    assert row.is_downloadable
    assert [kind for kind, _ in events(user_id)].count("archive_succeeded") == 1


@pytest.mark.parametrize(
    ("end", "status", "kind"),
    [
        (lambda c: transitions.fail(c, "file_missing", "gone"), JobStatus.FAILED, "archive_failed"),
        (transitions.cancel, JobStatus.CANCELLED, "archive_cancelled"),
    ],
)
def test_an_attempt_ends_unsuccessfully_with_its_event(
    user_id: int, end: object, status: JobStatus, kind: str
) -> None:
    claim = running(user_id)
    assert end(claim)  # type: ignore[operator]
    row = job(claim.job_id)
    assert (row.status, row.lease_until, row.finished_at is not None) == (status, None, True)
    assert events(user_id)[-1] == (kind, str(claim.job_id))


def test_release_requeues_then_fails_when_attempts_run_out(user_id: int) -> None:
    claim = running(user_id)
    assert transitions.release(claim, MAX_ATTEMPTS)
    assert job(claim.job_id).status == JobStatus.QUEUED
    assert events(user_id)[-1] == ("archive_retrying", str(claim.job_id))
    assert transitions.claim(user_id, 60) is not None
    expire_lease(claim.job_id, MAX_ATTEMPTS)  # as if this were the last attempt
    last = dataclasses.replace(claim, attempt=MAX_ATTEMPTS)
    assert not transitions.release(last, MAX_ATTEMPTS)
    row = job(claim.job_id)
    assert (row.status, row.error_code) == (JobStatus.FAILED, "retries_exhausted")
    assert events(user_id)[-1] == ("archive_failed", str(claim.job_id))


def test_requeue_takes_back_only_expired_leases_with_attempts_left(user_id: int) -> None:
    claim = running(user_id)
    assert transitions.requeue(utcnow(), MAX_ATTEMPTS) == []  # the lease is fresh
    expire_lease(claim.job_id, 1)
    refs = transitions.requeue(utcnow(), MAX_ATTEMPTS)
    assert [ref.job_id for ref in refs] == [claim.job_id]
    assert job(claim.job_id).status == JobStatus.QUEUED
    assert events(user_id)[-1] == ("archive_requeued", str(claim.job_id))


def test_sweeper_fails_a_job_lost_on_its_last_attempt_and_records_it(user_id: int) -> None:
    claim = running(user_id)
    expire_lease(claim.job_id, int(current_app.config["ARCHIVE_MAX_ATTEMPTS"]))
    report = sweeper.sweep()
    assert report.failed == 1
    row = job(claim.job_id)
    assert (row.status, row.error_code) == (JobStatus.FAILED, "worker_lost")
    assert events(user_id)[-1] == ("archive_failed", str(claim.job_id))


def test_take_unsent_marks_each_waiting_job_once(user_id: int) -> None:
    job_id = transitions.request(user_id)
    assert job_id is not None
    refs = transitions.take_unsent(utcnow())
    assert [ref.job_id for ref in refs] == [job_id]
    assert transitions.take_unsent(utcnow() - timedelta(minutes=1)) == []
    transitions.mark_enqueued(job_id)
    assert job(job_id).enqueued_at is not None


def test_request_cancel_stops_a_queued_job_at_once(user_id: int) -> None:
    job_id = transitions.request(user_id)
    assert job_id is not None
    assert transitions.request_cancel(job_id) == JobStatus.CANCELLED
    assert job(job_id).status == JobStatus.CANCELLED
    assert events(user_id)[-1] == ("archive_cancelled", str(job_id))
    assert transitions.request_cancel(job_id) is None  # already final


def test_request_cancel_flags_a_running_job_for_its_worker(user_id: int) -> None:
    claim = running(user_id)
    assert transitions.request_cancel(claim.job_id) == JobStatus.RUNNING
    row = job(claim.job_id)
    assert (row.status, row.cancel_requested) == (JobStatus.RUNNING, True)
    assert events(user_id)[-1] == ("archive_cancel_requested", str(claim.job_id))


def test_retry_gives_a_failed_job_a_fresh_budget_unless_another_is_active(user_id: int) -> None:
    claim = running(user_id)
    transitions.fail(claim, "internal_error", "boom")
    assert transitions.retry(claim.job_id)
    row = job(claim.job_id)
    assert (row.status, row.attempts, row.error_code) == (JobStatus.QUEUED, 0, None)
    assert events(user_id)[-1] == ("archive_retried", str(claim.job_id))
    assert not transitions.retry(claim.job_id)  # queued is not retryable
    again = transitions.claim(user_id, 60)
    assert again is not None
    transitions.fail(again, "internal_error", "boom")
    assert transitions.request(user_id) is not None
    assert not transitions.retry(claim.job_id)  # the user has an active job now


def test_expire_marks_due_archives_and_hands_back_their_files(user_id: int) -> None:
    claim = running(user_id)
    transitions.succeed(claim, RESULT, "old.zip", 60)
    assert transitions.expire(utcnow()) == []
    expired = transitions.expire(utcnow() + timedelta(seconds=61))
    assert [(ref.job_id, key) for ref, key in expired] == [(claim.job_id, ["old.zip"])]
    row = job(claim.job_id)
    assert (row.status, row.storage_key) == (JobStatus.EXPIRED, None)
    assert events(user_id)[-1] == ("archive_expired", str(claim.job_id))


def test_delete_removes_only_finished_jobs(user_id: int) -> None:
    claim = running(user_id)
    assert transitions.delete(claim.job_id) == (False, [])
    transitions.succeed(claim, RESULT, "done.zip", 60)
    assert transitions.delete(claim.job_id) == (True, ["done.zip"])
    assert db.session.get(ArchiveJob, claim.job_id) is None
    assert events(user_id)[-1] == ("archive_deleted", str(claim.job_id))


def test_take_notification_is_granted_once(user_id: int) -> None:
    claim = running(user_id)
    transitions.fail(claim, "internal_error", "x")
    assert transitions.take_notification(claim.job_id)
    assert not transitions.take_notification(claim.job_id)


def test_success_takes_the_right_to_notify_in_the_same_commit(user_id: int) -> None:
    claim = running(user_id)
    transitions.succeed(claim, RESULT, "n.zip", 60)
    assert job(claim.job_id).notified_at is not None
    assert not transitions.take_notification(claim.job_id)


def test_a_request_that_sends_its_wake_up_is_marked_sent_until_the_publish_fails(
    user_id: int,
) -> None:
    job_id = transitions.request(user_id, sending=True)
    assert job_id is not None and job(job_id).enqueued_at is not None
    transitions.mark_unsent(job_id)
    assert job(job_id).enqueued_at is None  # the next sweep sends it
