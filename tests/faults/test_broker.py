"""Redis refuses, freezes, errors or forgets: requests stay fast and every job completes."""

from __future__ import annotations

import os
import signal
import time

import sqlalchemy as sa
from flask import Flask

from tests.faults.checks import assert_succeeded_once
from tests.faults.conftest import Cluster, count
from tests.support.http import api, sign_up
from tests.support.services import RedisServer, free_port
from webapp.archives import actions
from webapp.archives.models import ArchiveJob
from webapp.auth.accounts import create_user
from webapp.extensions import db


def timed_request(app: Flask, email: str) -> tuple[float, dict[str, object]]:
    client = app.test_client()
    sign_up(client, email)
    started = time.monotonic()
    response = api(client, "POST", "/api/archives")
    elapsed = time.monotonic() - started
    assert response.status_code == 202, response.json
    return elapsed, response.json


def test_redis_refusing_connections_answers_fast_then_sweeper_recovers(cluster: Cluster) -> None:
    # Given Redis is down (nothing listens on the broker's port)
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    # When a user requests an archive
    elapsed, job = timed_request(cluster.make_app(url), "refused@example.com")
    # Then the answer comes at once and the job waits, queued, in the database
    assert elapsed < 2.0
    assert job["status"] == "queued"
    # And once Redis is back, the sweeper sends the message and a worker completes it
    cluster.extra_redis.append(RedisServer(port))
    cluster.worker(broker_url=url)
    cluster.beat(broker_url=url)
    cluster.wait(str(job["id"]), lambda j: j.ready, what="final state")
    assert_succeeded_once(cluster, str(job["id"]), attempts=1)


def test_frozen_redis_still_answers_within_the_socket_timeout(cluster: Cluster) -> None:
    # Given a web process whose broker connection is warm (one user already requested)
    app = cluster.make_app()
    _, first = timed_request(app, "warm@example.com")
    # When Redis freezes (SIGSTOP: connections are accepted, nothing is answered)
    os.kill(cluster.redis.process.pid, signal.SIGSTOP)
    try:
        # Then logging in still works (throttling fails open) and the request answers in time
        elapsed, job = timed_request(app, "frozen@example.com")
    finally:
        os.kill(cluster.redis.process.pid, signal.SIGCONT)
    options = app.config["CELERY"]["broker_transport_options"]
    # One timeout on the pooled connection, then one per publish attempt.
    # Plus the throttles' own Redis timeouts: the login's and the write limit's.
    throttles = 2 * app.config["RATELIMIT_STORAGE_OPTIONS"]["socket_timeout"]
    bound = options["socket_timeout"] * (options["max_retries"] + 2) + throttles + 0.5
    assert elapsed < bound, f"{elapsed:.1f}s"
    assert job["status"] == "queued"
    # And both jobs complete once Redis thaws
    cluster.worker()
    cluster.beat()
    for job_id in (str(first["id"]), str(job["id"])):
        cluster.wait(job_id, lambda j: j.ready, what="final state")
        assert cluster.job(job_id).status == "succeeded"


def test_enqueue_raising_after_the_commit_is_recovered_by_the_sweeper(cluster: Cluster) -> None:
    # Given a broker that accepts connections but refuses this client's commands
    locked = RedisServer(password="only-the-workers-know")
    cluster.extra_redis.append(locked)
    no_password = f"redis://127.0.0.1:{locked.port}/0"
    # When the web process commits the job and its enqueue raises
    elapsed, job = timed_request(cluster.make_app(no_password), "raises@example.com")
    assert elapsed < 2.0 and job["status"] == "queued"
    # Then the sweeper, which can publish, recovers it
    cluster.worker(broker_url=locked.url)
    cluster.beat(broker_url=locked.url)
    cluster.wait(str(job["id"]), lambda j: j.ready, what="final state")
    assert_succeeded_once(cluster, str(job["id"]), attempts=1)


def test_redis_restarted_empty_with_fifty_jobs_queued_all_complete(cluster: Cluster) -> None:
    # Given fifty queued jobs whose messages sit in Redis, and no worker yet
    with cluster.app.app_context():
        users = [create_user(f"user{i}@example.com", "a long enough password") for i in range(50)]
        db.session.commit()
        job_ids = [str(actions.request_archive(user.id)[0].id) for user in users]
    # When Redis restarts empty, losing every message
    port = cluster.redis.port
    cluster.redis.stop()
    cluster.redis = RedisServer(port)
    # Then workers and the sweeper complete all fifty
    cluster.worker(concurrency=2)
    cluster.beat()
    done = sa.select(sa.func.count()).where(ArchiveJob.status == "succeeded")
    deadline = time.monotonic() + 120
    while count(cluster.app, done) < 50 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert count(cluster.app, done) == 50, cluster.logs()
    for job_id in job_ids:
        assert cluster.job(job_id).attempts == 1
