"""One log format for web, worker and beat: JSON lines (LOG_FORMAT=json) or readable text."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from celery.signals import setup_logging
from structlog.typing import EventDict, Processor, WrappedLogger

SENSITIVE_KEYS = frozenset(
    {"password", "token", "secret", "authorization", "cookie", "csrf_token", "url"}
)
# Query parameters of presigned URLs and credentials inside URLs never reach a log line.
SCRUBBED = (
    (
        re.compile(r"((?:X-Amz-[A-Za-z-]+|Signature|AWSAccessKeyId|token|password)=)[^&\s\"']+"),
        r"\1[redacted]",
    ),
    (re.compile(r"(://[^:/@\s]*:)[^@/\s]+@"), r"\1[redacted]@"),
)
HANDLER_NAME = "keepsake"


def scrub(text: str) -> str:
    """Blank out presigned-URL signatures and passwords inside URLs."""
    for pattern, replacement in SCRUBBED:
        text = pattern.sub(replacement, text)
    return text


def redact(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Drop the values of keys that hold secrets and scrub what looks like a signed URL."""
    for key, value in event.items():
        if key.lower() in SENSITIVE_KEYS:
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = scrub(value)
    return event


def _drop_copied_message(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """A record already formatted once carries its text twice; keep it as `event` only."""
    if event.get("message") == event.get("event"):
        event.pop("message", None)
    return event


def _shared_processors() -> list[Processor]:
    """What every line gets, from structlog and from plain logging calls alike."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _drop_copied_message,
    ]


def formatter(fmt: str) -> logging.Formatter:
    """A logging formatter that renders each record as one JSON object or one text line."""
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
    )


def configure(fmt: str = "text", level: str | int = "INFO") -> None:
    """Send every logger's records through one stderr handler; safe to call again."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != HANDLER_NAME] + [handler]
    root.setLevel(level)
    # Python warnings (Celery's root-user warning, deprecations) become JSON lines too.
    logging.captureWarnings(fmt == "json")
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class _Settings:
    """The format chosen by the app, for Celery's logging signal that fires later."""

    fmt = "text"


def configure_from(config: Any) -> None:
    """Apply the app's LOG_FORMAT and LOG_LEVEL."""
    _Settings.fmt = str(config["LOG_FORMAT"])
    configure(_Settings.fmt, str(config["LOG_LEVEL"]).upper())


def _celery_logging(loglevel: int | str | None = None, **_: Any) -> None:
    """Own the worker's and beat's logging, keeping the --loglevel they were given."""
    configure(_Settings.fmt, loglevel or logging.INFO)


setup_logging.connect(_celery_logging, weak=False)
