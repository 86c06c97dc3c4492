"""What a password prompt interrupted is remembered once, for a while, and only if it resumes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask, session
from werkzeug.wrappers import Response

from webapp.auth import intent


@pytest.fixture
def request_context() -> Iterator[Flask]:
    app = Flask(__name__)
    app.secret_key = "x" * 40
    with app.test_request_context():
        yield app


@intent.continues("tests.resumable", "do the test's thing")
def resume(args: dict[str, str]) -> Response:
    return Response(args["job_id"])


def test_a_resumable_action_runs_once(request_context: Flask) -> None:
    intent.remember("tests.resumable", {"job_id": 7})
    waiting = intent.pending()
    assert waiting is not None and waiting.continuation.describe == "do the test's thing"
    taken = intent.take()
    assert taken is not None and taken.continuation.run(taken.args).get_data() == b"7"
    assert intent.take() is None


def test_an_action_that_cannot_resume_forgets_the_earlier_one(request_context: Flask) -> None:
    intent.remember("tests.resumable", {"job_id": 7})
    intent.remember("some.other_view", {})
    assert intent.pending() is None


def test_an_old_intent_is_dropped(request_context: Flask) -> None:
    intent.remember("tests.resumable", {"job_id": 7})
    session[intent.SESSION_KEY]["at"] = int(time.time()) - intent.MAX_AGE_SECONDS - 1
    assert intent.take() is None
