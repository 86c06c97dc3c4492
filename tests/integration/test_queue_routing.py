"""Fair queues in-process: the request, an admin retry and the dashboard follow the estimate."""

from __future__ import annotations

import uuid

import redis
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.support.admin import admin_client, user_id
from tests.support.http import sign_up
from tests.support.settings import LARGE_QUEUE, QUEUE
from webapp.archives import actions, transitions
from webapp.archives.models import ArchiveJob
from webapp.extensions import db


def large_messages(app: Flask) -> int:
    return int(redis.Redis.from_url(app.config["CELERY"]["broker_url"]).llen(LARGE_QUEUE))


def test_a_large_request_and_its_retry_go_to_the_large_queue_and_count_there(
    clean_state: Flask, runner: FlaskCliRunner
) -> None:
    # Given a threshold below what any archive weighs, and no worker on the large queue
    clean_state.config["ARCHIVE_LARGE_THRESHOLD"] = 1000
    sign_up(clean_state.test_client(), "large-routing@example.com")
    uid = user_id(clean_state, "large-routing@example.com")
    with clean_state.app_context():
        # When the user's archive is requested
        job, created = actions.request_archive(uid)
        assert created and (job.estimated_size or 0) > 1000

    # Then its message waits on the large queue, and the dashboard counts it there
    assert large_messages(clean_state) == 1
    admin = admin_client(clean_state, runner)
    assert admin.get("/admin/api/overview").json["queues"] == {QUEUE: 0, LARGE_QUEUE: 1}

    # And when it fails and an admin retries it, the new message goes to the same queue
    redis.Redis.from_url(clean_state.config["CELERY"]["broker_url"]).delete(LARGE_QUEUE)
    with clean_state.app_context():
        claim = transitions.claim(uid, 60)
        assert claim is not None and transitions.fail(claim, "internal_error", "test")
        failed = db.session.get(ArchiveJob, uuid.UUID(str(job.id)))
        assert failed is not None and actions.retry(failed)
    assert large_messages(clean_state) == 1


def test_a_small_request_stays_on_the_default_queue(
    clean_state: Flask, runner: FlaskCliRunner
) -> None:
    sign_up(clean_state.test_client(), "small-routing@example.com")
    uid = user_id(clean_state, "small-routing@example.com")
    with clean_state.app_context():
        job, _ = actions.request_archive(uid, enqueue_message=False)
        assert (job.estimated_size or 0) < clean_state.config["ARCHIVE_LARGE_THRESHOLD"]
        assert actions.retry(job) is False  # queued: nothing to retry
    admin = admin_client(clean_state, runner)
    assert admin.get("/admin/api/overview").json["queues"] == {QUEUE: 1, LARGE_QUEUE: 0}
    assert large_messages(clean_state) == 0
