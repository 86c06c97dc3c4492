"""An admin account and jobs in chosen states, for the dashboard and metrics tests."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.support.http import login
from webapp.archives.models import ArchiveJob
from webapp.auth.models import User
from webapp.extensions import db
from webapp.types import utcnow

ADMIN_EMAIL = "root@example.com"
ADMIN_PASSWORD = "a long admin password"


def make_admin(runner: FlaskCliRunner) -> None:
    """Create the admin account with the CLI, as an operator would."""
    args = ["users", "create", ADMIN_EMAIL, "--password", ADMIN_PASSWORD, "--admin"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output


def admin_client(app: Flask, runner: FlaskCliRunner) -> FlaskClient:
    """A logged-in admin."""
    make_admin(runner)
    client = app.test_client()
    assert login(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 302
    return client


def user_id(app: Flask, email: str) -> int:
    """The id of the account with this email."""
    with app.app_context():
        return int(db.session.scalar(sa.select(User.id).where(User.email == email)) or 0)


def insert_job(app: Flask, uid: int, status: str, minutes_ago: float = 1, **values: Any) -> str:
    """Add a job row in a given state, finished (or requested) some minutes ago."""
    job_id = uuid.uuid4()
    moment = utcnow() - timedelta(minutes=minutes_ago)
    if status not in ("queued", "running"):
        values.setdefault("finished_at", moment)
    with app.app_context():
        db.session.add(
            ArchiveJob(id=job_id, user_id=uid, status=status, requested_at=moment, **values)
        )
        db.session.commit()
    return str(job_id)
