"""Workers die, get stopped, run twice or lose the database; every job still ends right."""

from __future__ import annotations

import os
import resource
import signal
import time

import psutil
import sqlalchemy as sa

from tests.faults.checks import assert_failed, assert_succeeded_once
from tests.faults.conftest import Cluster
from webapp.archives import actions
from webapp.archives.tasks import generate_user_archive
from webapp.auth.accounts import create_user
from webapp.extensions import db
from webapp.notes.seed import seed_files, seed_notes

BIG = 400_000  # notes: a build of a few seconds, long enough to break in the middle


def seed_user(cluster: Cluster, email: str, notes: int = BIG, files: int = 2) -> int:
    with cluster.app.app_context():
        user = create_user(email, "a long enough password")
        db.session.flush()
        seed_notes(user.id, notes)
        seed_files(user.id, files, 64 * 1024)
        db.session.commit()
        return user.id


def request(cluster: Cluster, user_id: int) -> str:
    with cluster.app.app_context():
        job, created = actions.request_archive(user_id)
        assert created
        return str(job.id)


def building(cluster: Cluster, job_id: str) -> None:
    """Wait until the worker is well into the build."""
    cluster.wait(job_id, lambda j: j.status == "running" and j.items_done > 0, what="mid-build")


def test_pool_child_killed_mid_build_completes_once_on_attempt_two(cluster: Cluster) -> None:
    # Given a worker building a big archive
    worker = cluster.worker()
    cluster.beat()
    job_id = request(cluster, seed_user(cluster, "kill9@example.com"))
    building(cluster, job_id)
    # When its pool child is killed with SIGKILL
    for child in psutil.Process(worker.pid).children():
        child.kill()
    # Then the lease expires, the sweeper requeues it, and attempt 2 finishes it
    cluster.wait(job_id, lambda j: j.ready, timeout=120, what="final state")
    assert_succeeded_once(cluster, job_id, attempts=2)


def test_child_killed_on_every_attempt_ends_worker_lost(cluster: Cluster) -> None:
    cluster.settings["ARCHIVE_MAX_ATTEMPTS"] = 2
    worker = cluster.worker()
    cluster.beat()
    job_id = request(cluster, seed_user(cluster, "doomed@example.com"))
    for attempt in (1, 2):
        cluster.wait(
            job_id,
            lambda j, a=attempt: j.status == "running" and j.attempts == a and j.items_done > 0,
            timeout=60,
            what=f"attempt {attempt} running",
        )
        for child in psutil.Process(worker.pid).children():
            child.kill()
    job = cluster.wait(job_id, lambda j: j.ready, timeout=60, what="final state")
    assert job.attempts == 2
    assert_failed(cluster, job_id, "worker_lost")


def test_whole_worker_killed_then_a_new_one_completes_after_the_lease(cluster: Cluster) -> None:
    first = cluster.worker()
    cluster.beat()
    job_id = request(cluster, seed_user(cluster, "hostdown@example.com"))
    building(cluster, job_id)
    os.killpg(first.pid, signal.SIGKILL)  # the host dies: main process and children
    first.wait()
    killed_at = time.monotonic()
    cluster.worker()
    cluster.wait(job_id, lambda j: j.ready, timeout=120, what="final state")
    assert time.monotonic() - killed_at >= 2  # not before the lease ran out
    assert_succeeded_once(cluster, job_id, attempts=2)


def test_sigterm_lets_the_build_finish_then_the_worker_exits(cluster: Cluster) -> None:
    worker = cluster.worker()
    job_id = request(cluster, seed_user(cluster, "term@example.com"))
    building(cluster, job_id)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=120) == 0
    assert_succeeded_once(cluster, job_id, attempts=1)


def test_same_message_delivered_twice_builds_and_notifies_once(cluster: Cluster) -> None:
    cluster.worker(concurrency=2)
    user_id = seed_user(cluster, "twice@example.com", notes=50_000)
    job_id = request(cluster, user_id)  # sends one message
    with cluster.app.app_context():
        generate_user_archive.delay(user_id)  # and a duplicate of it
        generate_user_archive.delay(user_id)
    cluster.wait(job_id, lambda j: j.ready, what="final state")
    time.sleep(1)  # give the duplicates time to do (nothing) harmful
    assert_succeeded_once(cluster, job_id, attempts=1)


def test_database_connections_killed_mid_build_retry_and_complete(cluster: Cluster) -> None:
    cluster.worker()
    cluster.beat()
    job_id = request(cluster, seed_user(cluster, "pgkill@example.com"))
    building(cluster, job_id)
    database = sa.make_url(cluster.database_url).database
    with cluster.app.app_context(), db.engine.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        ).scalar()
    assert killed
    cluster.wait(job_id, lambda j: j.ready, timeout=120, what="final state")
    assert_succeeded_once(cluster, job_id, attempts=2)


def test_time_limit_fails_the_job_and_removes_the_temp_file(cluster: Cluster) -> None:
    cluster.settings.update(ARCHIVE_SOFT_TIME_LIMIT=1, ARCHIVE_TIME_LIMIT=30)
    cluster.app = cluster.make_app()  # Celery stamps the publisher's limits on each message
    cluster.worker()
    job_id = request(cluster, seed_user(cluster, "slow@example.com", notes=1_000_000))
    cluster.wait(job_id, lambda j: j.ready, timeout=60, what="final state")
    assert_failed(cluster, job_id, "time_limit")


def test_full_disk_fails_the_job_with_a_code_and_no_partial_file(cluster: Cluster) -> None:
    limit = 4 * 1024 * 1024

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    cluster.worker(preexec_fn=small_disk)
    job_id = request(cluster, seed_user(cluster, "full@example.com", notes=200_000))
    cluster.wait(job_id, lambda j: j.ready, timeout=60, what="final state")
    assert_failed(cluster, job_id, "disk_full")
