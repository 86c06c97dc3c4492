"""What the user was doing when asked for their password, so Continue carries it through."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import session
from werkzeug.wrappers import Response

SESSION_KEY = "reauth_intent"
# An intent older than this is dropped: a password given much later means something else.
MAX_AGE_SECONDS = 600


@dataclass(frozen=True)
class Continuation:
    """How to finish an interrupted action: what to call it on the page, and how to run it."""

    describe: str
    run: Callable[[dict[str, str]], Response]


@dataclass(frozen=True)
class Pending:
    """A remembered action and the arguments of the request that was interrupted."""

    continuation: Continuation
    args: dict[str, str]


_continuations: dict[str, Continuation] = {}


def continues(endpoint: str, describe: str) -> Callable[[Callable[..., Response]], Any]:
    """Register how an endpoint's action resumes after the password (a decorator)."""

    def register(run: Callable[[dict[str, str]], Response]) -> Callable[[dict[str, str]], Response]:
        """Keep the resumer under the endpoint it finishes."""
        _continuations[endpoint] = Continuation(describe, run)
        return run

    return register


def remember(endpoint: str | None, view_args: Mapping[str, Any] | None) -> None:
    """Note the interrupted action, if it is one that knows how to resume."""
    if endpoint in _continuations:
        args = {key: str(value) for key, value in (view_args or {}).items()}
        session[SESSION_KEY] = {"endpoint": endpoint, "args": args, "at": int(time.time())}
    else:
        session.pop(SESSION_KEY, None)


def pending() -> Pending | None:
    """Return the remembered action while it is fresh, without consuming it."""
    saved = session.get(SESSION_KEY)
    if not isinstance(saved, dict) or saved.get("endpoint") not in _continuations:
        return None
    if time.time() - int(saved.get("at", 0)) > MAX_AGE_SECONDS:
        return None
    return Pending(_continuations[saved["endpoint"]], dict(saved.get("args") or {}))


def take() -> Pending | None:
    """Return the remembered action and forget it, so it runs once."""
    found = pending()
    session.pop(SESSION_KEY, None)
    return found
