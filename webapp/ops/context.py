"""Who a log line is about: the request id from click to ZIP, and the job a worker builds."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from celery.signals import before_task_publish, task_prerun
from flask import Flask, g, request
from werkzeug.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept only when it is short and plain, so it cannot forge log content.
ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
JOB_KEYS = ("job_id", "user_id", "attempt")


def current_request_id() -> str | None:
    """The request id bound to this request or task, if any."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value else None


def _start_request() -> None:
    """Take the caller's X-Request-ID or make one, and put it on every line of the request."""
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = offered if ACCEPTED_ID.match(offered) else uuid.uuid4().hex
    g.request_id = request_id
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)


def _echo_request_id(response: Response) -> Response:
    """Give the id back so a client or proxy can quote it."""
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _end_request(_: BaseException | None) -> None:
    """Leave nothing of this request on the thread for whatever it logs next."""
    structlog.contextvars.clear_contextvars()


def init_app(app: Flask) -> None:
    """Install the request-id hooks."""
    app.before_request(_start_request)
    app.after_request(_echo_request_id)
    app.teardown_request(_end_request)


@contextmanager
def job_context(
    job_id: uuid.UUID, user_id: int, attempt: int, request_id: str | None = None
) -> Iterator[None]:
    """Put the job's identity, and the request that asked for it, on every line of an attempt."""
    ids: dict[str, Any] = {"job_id": str(job_id), "user_id": user_id, "attempt": attempt}
    if request_id:
        ids["request_id"] = request_id
    with structlog.contextvars.bound_contextvars(**ids):
        yield


def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Carry the request id to the worker in the message headers (ids only)."""
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


def _start_task(task: Any = None, task_id: str | None = None, **_: Any) -> None:
    """Start each task's lines afresh with its task id, worker and the request that sent it."""
    structlog.contextvars.clear_contextvars()
    request_id = getattr(task.request, "request_id", None) if task is not None else None
    values: dict[str, Any] = {"task_id": task_id}
    if request_id and ACCEPTED_ID.match(str(request_id)):
        values["request_id"] = str(request_id)
    structlog.contextvars.bind_contextvars(**values)


before_task_publish.connect(_send_request_id, weak=False)
task_prerun.connect(_start_task, weak=False)


def worker_name() -> str | None:
    """The Celery worker running the current task (its node name), if any."""
    from celery import current_task

    hostname = current_task.request.hostname if current_task else None
    return str(hostname) if hostname else None
