"""Fair queues: a huge account builds on archives_large and never holds up a small one."""

from __future__ import annotations

import time

import redis

from tests.faults.conftest import Cluster
from tests.faults.test_crashes import request, seed_user
from webapp.archives import sweeper

THRESHOLD = 100 * 1024 * 1024
SMALL_TAKES_AT_MOST = 10.0  # seconds; a small archive builds in about one


def wait_for_workers(cluster: Cluster, count: int, timeout: float = 60) -> None:
    """Wait until `count` workers answer a ping, so they are consuming."""
    control = cluster.app.extensions["celery"].control
    deadline = time.monotonic() + timeout
    while len(control.ping(timeout=0.5)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} workers answered\n{cluster.logs()}"


def test_a_small_archive_completes_in_seconds_while_a_large_one_builds_on_archives_large(
    cluster: Cluster,
) -> None:
    # Given a huge account above the threshold, and a worker for archives_large only
    cluster.app.config["ARCHIVE_LARGE_THRESHOLD"] = THRESHOLD
    big = seed_user(cluster, "huge@example.com", notes=600_000, files=0)
    small = seed_user(cluster, "small@example.com", notes=20, files=1)
    large_queue = cluster.app.config["ARCHIVE_LARGE_QUEUE"]
    cluster.worker(queues=large_queue)

    # When the huge account asks, its job is estimated large, and only that worker can take it
    large = request(cluster, big)
    assert (cluster.job(large).estimated_size or 0) > THRESHOLD
    cluster.wait(large, lambda j: j.status == "running", timeout=60, what="large job running")

    # And a worker for the default queue runs too, and a small user asks meanwhile
    cluster.worker(queues="celery")
    wait_for_workers(cluster, 2)  # the second worker's start-up is not part of the wait
    assert cluster.job(large).status == "running"
    asked = time.monotonic()
    small_job = request(cluster, small)
    done = cluster.wait(small_job, lambda j: j.ready, timeout=SMALL_TAKES_AT_MOST, what="done")
    took = time.monotonic() - asked

    # Then the small archive is ready in seconds, while the large one is still building
    print(f"small archive: {took:.2f} s from request to success while the large one built")
    assert done.status == "succeeded" and took < SMALL_TAKES_AT_MOST
    assert (cluster.job(small_job).estimated_size or 0) < THRESHOLD
    assert cluster.job(large).status == "running"
    huge = cluster.wait(large, lambda j: j.ready, timeout=180, what="large job done")
    assert huge.status == "succeeded" and huge.finished_at > done.finished_at


def test_the_sweeper_sends_a_lost_message_back_to_the_queue_its_size_chose(
    cluster: Cluster,
) -> None:
    # Given a user above the threshold and one below it, whose requests were queued
    cluster.app.config["ARCHIVE_LARGE_THRESHOLD"] = 50_000
    big = seed_user(cluster, "lost-large@example.com", notes=500, files=0)
    small = seed_user(cluster, "lost-small@example.com", notes=0, files=0)
    broker = redis.Redis.from_url(cluster.redis.url)
    large_queue = cluster.app.config["ARCHIVE_LARGE_QUEUE"]
    request(cluster, big)
    request(cluster, small)
    assert (broker.llen("celery"), broker.llen(large_queue)) == (1, 1)

    # When both messages are lost and the sweeper finds the jobs after the grace period
    broker.delete("celery", large_queue)
    cluster.app.config["ARCHIVE_QUEUED_GRACE"] = 0
    with cluster.app.app_context():
        assert sweeper.sweep().enqueued == 2

    # Then each message is back on the queue its estimate chose
    assert (broker.llen("celery"), broker.llen(large_queue)) == (1, 1)
