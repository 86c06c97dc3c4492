"""One log line and one latency observation per HTTP answer."""

from __future__ import annotations

import time

import sqlalchemy as sa
import structlog
from flask import Flask, g, request
from werkzeug.wrappers import Response

from webapp.ops import metrics

log = structlog.get_logger("keepsake.http")


def _start_clock() -> None:
    """Note when the request began."""
    g.started = time.perf_counter()


def _observe(response: Response) -> Response:
    """Log the answer (path only: a query string may carry something private) and time it."""
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.endpoint or "unmatched"
    metrics.answered(endpoint, request.method, response.status_code, seconds)
    log.info(
        "request",
        method=request.method,
        path=request.path,
        endpoint=endpoint,
        status=response.status_code,
        duration_ms=round(seconds * 1000, 1),
        user_id=_loaded_user_id(),
    )
    return response


def _loaded_user_id() -> int | None:
    """The id of a user the request already loaded, from its identity: no query of its own.

    An error answer rolls the session back, which expires the user; reading `user.id` then
    loaded it again just for this line.
    """
    state = sa.inspect(g.get("_login_user"), raiseerr=False)
    return state.identity[0] if state is not None and state.identity else None


def init_app(app: Flask) -> None:
    """Install the timing hooks."""
    app.before_request(_start_clock)
    app.after_request(_observe)
