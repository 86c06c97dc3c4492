"""Failed logins and registrations are throttled per account and per client address."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, make_response, render_template, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from webapp.auth.accounts import normalize_email
from webapp.auth.forms import LoginForm, RegisterForm
from webapp.formatting import duration, moment

log = logging.getLogger(__name__)


def _account() -> str:
    """Key failures by the account they target."""
    return "login-account:" + normalize_email(request.form.get("email", ""))


def _address() -> str:
    # remote_addr is the socket's peer unless PROXY_FIX_HOPS says a proxy may set it.
    """Key failures by the client's address."""
    return "address:" + (request.remote_addr or "unknown")


def _failed(response: BaseResponse) -> bool:
    """Only failures count: a successful login redirects."""
    return response.status_code != 302


def _setting(key: str) -> Callable[[], str]:
    """Read the limit at request time, so configuration changes apply at once."""
    return lambda: str(current_app.config[key])


def _refused_on_form(
    template: str, form_class: type[FlaskForm], reason: str
) -> Callable[[RequestLimit], Response]:
    """Answer a breach with the same form and its message: why, and when to try again."""

    def answer(limit: RequestLimit) -> Response:
        """Render the form with the lock-out's time left, status 429."""
        wait = max(1, limit.reset_at - int(time.time()))
        until = moment(datetime.fromtimestamp(limit.reset_at, UTC))
        form = form_class()
        form.form_errors.append(f"{reason} Try again in {duration(wait)}, at {until}.")
        page = render_template(template, form=form, next=request.args.get("next", ""))
        # A flask.Response, which Flask-Limiter sends instead of its own 429 page.
        response: Response = make_response(page, 429)
        return response

    return answer


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
            on_breach=_refused_on_form(
                "auth/login.html", LoginForm, "Too many failed logins for this account."
            ),
        ),
        limiter.limit(
            _setting("LOGIN_ADDRESS_LIMIT"),
            key_func=_address,
            **failed_login,
            on_breach=_refused_on_form(
                "auth/login.html", LoginForm, "Too many failed logins from your address."
            ),
        ),
    )
    _limit(
        app,
        "auth.register",
        limiter.limit(
            _setting("REGISTER_LIMIT"),
            key_func=_address,
            methods=["POST"],
            on_breach=_refused_on_form(
                "auth/register.html", RegisterForm, "Too many registrations from your address."
            ),
        ),
    )
    return limiter
