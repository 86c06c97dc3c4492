"""The audit trail: who did what to an account, from where; the one way events are written."""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.engine import Connection

from webapp.auth.models import ActivityEvent
from webapp.extensions import db
from webapp.types import utcnow

# Events written outside a web request come from a worker, beat or the CLI.
SYSTEM_AGENT = "keepsake-worker"


def record(
    user_id: int, kind: str, detail: str | None = None, conn: Connection | None = None
) -> None:
    """Add an event in the caller's transaction: `conn`'s, or else the session's."""
    values = {"user_id": user_id, "kind": kind, "detail": detail, "created_at": utcnow()}
    if has_request_context():
        values["ip"] = request.remote_addr
        values["user_agent"] = (request.user_agent.string or "")[:255] or None
    else:
        values["user_agent"] = SYSTEM_AGENT
    statement = sa.insert(ActivityEvent.__table__).values(**values)
    if conn is None:
        db.session.execute(statement)
    else:
        conn.execute(statement)
