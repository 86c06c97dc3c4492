"""Failed logins and registrations are throttled per account and per client address."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from webapp.auth.accounts import normalize_email

log = logging.getLogger(__name__)


def _account() -> str:
    """Key failures by the account they target."""
    return "login-account:" + normalize_email(request.form.get("email", ""))


def _address() -> str:
    # remote_addr is the socket's peer unless PROXY_FIX_HOPS says a proxy may set it.
    """Key failures by the client's address."""
    return "address:" + (request.remote_addr or "unknown")


def _failed(response: Response) -> bool:
    """Only failures count: a successful login redirects."""
    return response.status_code != 302


def _setting(key: str) -> Callable[[], str]:
    """Read the limit at request time, so configuration changes apply at once."""
    return lambda: str(current_app.config[key])


def _limit(app: Flask, endpoint: str, *limits: Any) -> None:
    """Wrap an app's view in limits (this app's limiter, not a module-wide one)."""
    view: Any = app.view_functions[endpoint]
    for limit in limits:
        view = limit(view)
    app.view_functions[endpoint] = view


def init_app(app: Flask) -> Limiter:
    """Give this app its own limiter (one storage per app) and limit its auth views."""
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    failed_login: dict[str, Any] = {"methods": ["POST"], "deduct_when": _failed}
    _limit(
        app,
        "auth.login",
        limiter.limit(
            _setting("LOGIN_ACCOUNT_LIMIT"),
            key_func=_account,
            **failed_login,
            error_message="Too many failed logins for this account. Try again later.",
        ),
        limiter.limit(
            _setting("LOGIN_ADDRESS_LIMIT"),
            key_func=_address,
            **failed_login,
            error_message="Too many failed logins from your address. Try again later.",
        ),
    )
    _limit(
        app,
        "auth.register",
        limiter.limit(
            _setting("REGISTER_LIMIT"),
            key_func=_address,
            methods=["POST"],
            error_message="Too many registrations from your address. Try again later.",
        ),
    )
    return limiter
