"""One log line and one latency observation per HTTP answer."""

from __future__ import annotations

import time

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
    # Only a user the request already loaded: logging must not cost a query of its own.
    user = g.get("_login_user")
    log.info(
        "request",
        method=request.method,
        path=request.path,
        endpoint=endpoint,
        status=response.status_code,
        duration_ms=round(seconds * 1000, 1),
        user_id=user.id if user is not None and user.is_authenticated else None,
    )
    return response


def init_app(app: Flask) -> None:
    """Install the timing hooks."""
    app.before_request(_start_clock)
    app.after_request(_observe)
