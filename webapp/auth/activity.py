"""The audit trail: who did what to an account, from where."""

from __future__ import annotations

from flask import has_request_context, request

from webapp.auth.models import ActivityEvent
from webapp.extensions import db


def record(user_id: int, kind: str, detail: str | None = None) -> ActivityEvent:
    """Add an event to the session, with the client's address and agent when in a request."""
    event = ActivityEvent(user_id=user_id, kind=kind, detail=detail)
    if has_request_context():
        event.ip = request.remote_addr
        event.user_agent = (request.user_agent.string or "")[:255] or None
    db.session.add(event)
    return event
