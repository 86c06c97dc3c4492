"""The Flask docs' Celery pattern, exercised by a real worker on the real broker."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from celery import shared_task
from flask import Flask, current_app

from webapp.auth.accounts import create_user
from webapp.auth.activity import record
from webapp.auth.models import ActivityEvent
from webapp.extensions import db


@shared_task(name="tests.note_app_context", ignore_result=True)
def note_app_context(user_id: int) -> None:
    """Prove the task runs in the app context: read config and the database, write a row."""
    user_count = db.session.scalar(sa.select(sa.func.count()).select_from(ActivityEvent))
    record(user_id, "probe", f"{current_app.name}:{user_count}")
    db.session.commit()


def wait_for_probes(app: Flask, count: int) -> list[str]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with app.app_context():
            details = db.session.scalars(
                sa.select(ActivityEvent.detail).where(ActivityEvent.kind == "probe")
            ).all()
        if len(details) == count:
            return [d or "" for d in details]
        time.sleep(0.05)
    raise AssertionError(f"the worker did not run {count} probes")


def test_shared_task_sees_app_context_and_database(clean_state: Flask, worker: Any) -> None:
    with clean_state.app_context():
        user = create_user("probe@example.com", "a long enough password")
        db.session.commit()
        user_id = user.id
    note_app_context.delay(user_id)
    assert wait_for_probes(clean_state, 1) == ["webapp:0"]


def test_sessions_are_removed_after_each_task(clean_state: Flask, worker: Any) -> None:
    # Given a user, when three tasks run one after another in the same worker threads
    with clean_state.app_context():
        user = create_user("twice@example.com", "a long enough password")
        db.session.commit()
        user_id = user.id
    for count in (1, 2, 3):
        note_app_context.delay(user_id)
        wait_for_probes(clean_state, count)
    # Then each run saw the rows committed before it: no stale session survived a task
    assert sorted(wait_for_probes(clean_state, 3)) == ["webapp:0", "webapp:1", "webapp:2"]
