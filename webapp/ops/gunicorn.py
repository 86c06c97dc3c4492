"""Gunicorn's own lines (boot, worker exits, timeouts) in the app's JSON format.

Use it with `gunicorn --logger-class webapp.ops.gunicorn.JsonLogger ...` when LOG_FORMAT=json;
the app's lines are JSON already, this makes the server's match.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from webapp.ops.logs import formatter


class JsonLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger with every handler rendering JSON lines."""

    def setup(self, cfg: Any) -> None:
        """Let gunicorn build its handlers, then give each the JSON formatter."""
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter("json"))
