"""Log lines: one JSON object each, carrying the bound ids, never a secret."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
import structlog

from webapp.ops import logs
from webapp.ops.context import job_context


@pytest.fixture
def lines() -> io.StringIO:
    """A JSON handler on a private logger, written to memory."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    logger = logging.getLogger("keepsake.test")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    yield stream
    logger.handlers, logger.propagate = [], True


def parsed(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_plain_logging_call_inside_a_job_carries_its_ids(lines: io.StringIO) -> None:
    job_id = uuid.uuid4()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id="req-1")
    with job_context(job_id, 7, 2):
        logging.getLogger("keepsake.test").warning("job %s: slow", job_id)
    logging.getLogger("keepsake.test").info("after")
    inside, after = parsed(lines)
    assert inside["event"] == f"job {job_id}: slow" and inside["level"] == "warning"
    assert (inside["job_id"], inside["user_id"], inside["attempt"]) == (str(job_id), 7, 2)
    assert inside["request_id"] == "req-1" and "timestamp" in inside
    assert "job_id" not in after and after["request_id"] == "req-1"
    structlog.contextvars.clear_contextvars()


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("https://b.s3.amazonaws.com/k?X-Amz-Signature=abc123&X-Amz-Credential=AKIA9", "abc123"),
        ("https://b.s3.amazonaws.com/k?X-Amz-Signature=abc123&X-Amz-Credential=AKIA9", "AKIA9"),
        ("connecting to redis://:hunter2hunter2@redis:6379/0", "hunter2hunter2"),
        ("postgresql+psycopg://app:s3cretpw@db/keepsake", "s3cretpw"),
        ("callback?token=tok-789&x=1", "tok-789"),
    ],
)
def test_signed_urls_and_url_passwords_are_scrubbed(
    lines: io.StringIO, text: str, leak: str
) -> None:
    logging.getLogger("keepsake.test").info("saw %s", text)
    [line] = parsed(lines)
    assert leak not in json.dumps(line) and "[redacted]" in str(line["event"])


def test_values_of_secret_keys_are_redacted(lines: io.StringIO) -> None:
    logging.getLogger("keepsake.test").info("login", extra={"password": "pw-1", "token": "t-2"})
    [line] = parsed(lines)
    assert line["password"] == line["token"] == "[redacted]"
