"""Password guesses are throttled per account and address; writes per user; one limiter."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, make_response, render_template, request
from flask_limiter import ApplicationLimit, Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from webapp.auth.accounts import normalize_email
from webapp.auth.forms import ConfirmPasswordForm, LoginForm, RegisterForm
from webapp.formatting import duration, moment

log = logging.getLogger(__name__)
# Login, re-authentication and password change draw on one budget per account, so a stolen
# session cannot guess the password through /auth/confirm after login has locked.
ACCOUNT_SCOPE = "password-guesses"
UNSAFE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def password_rejected() -> None:
    """Count this request against the account's budget of wrong passwords."""
    g.password_rejected = True


def _rejected(response: BaseResponse) -> bool:
    """Only a wrong password counts: typos in other fields and successes do not."""
    return bool(g.get("password_rejected"))


def _account() -> str:
    """Key guesses by the account they target: the form's email, or the logged-in one's."""
    email = request.form.get("email") if request.endpoint == "auth.login" else None
    if email is None:
        email = getattr(current_user, "email", "")
    return "login-account:" + normalize_email(email or "")


def _address() -> str:
    # remote_addr is the socket's peer unless PROXY_FIX_HOPS says a proxy may set it.
    """Key failures by the client's address."""
    return "address:" + (request.remote_addr or "unknown")


def _writer() -> str:
    """Key writes by the logged-in user."""
    return f"writes:user:{current_user.get_id()}"


def _anonymous() -> bool:
    """Writes of visitors who are not logged in are the login and register limits' business."""
    return not current_user.is_authenticated


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


def _refused_guess(limit: RequestLimit) -> Response | None:
    """Answer a locked account on the form that was sent; /auth/password gets the 429 page."""
    if request.endpoint == "auth.login":
        reason, form = "Too many failed logins for this account.", LoginForm
        return _refused_on_form("auth/login.html", form, reason)(limit)
    if request.endpoint == "auth.confirm":
        reason, form = "Too many wrong passwords for this account.", ConfirmPasswordForm
        return _refused_on_form("auth/confirm.html", form, reason)(limit)
    return None


def _limit(app: Flask, endpoint: str, *limits: Any) -> None:
    """Wrap an app's view in limits (this app's limiter, not a module-wide one)."""
    view: Any = app.view_functions[endpoint]
    for limit in limits:
        view = limit(view)
    app.view_functions[endpoint] = view


def init_app(app: Flask) -> Limiter:
    """Give this app its own limiter (one storage per app) and limit its auth views and writes."""
    writes = ApplicationLimit(
        _setting("WRITE_LIMIT"),
        key_function=_writer,
        scope="writes",
        methods=UNSAFE_METHODS,
        exempt_when=_anonymous,
        error_message="You are saving changes too quickly. Wait a minute and try again.",
    )
    limiter = Limiter(get_remote_address, app=app, default_limits=[], application_limits=[writes])
    guesses = limiter.shared_limit(
        _setting("LOGIN_ACCOUNT_LIMIT"),
        scope=ACCOUNT_SCOPE,
        key_func=_account,
        methods=["POST"],
        deduct_when=_rejected,
        on_breach=_refused_guess,
        error_message="Too many wrong passwords for this account. Try again later.",
    )
    for endpoint in ("auth.login", "auth.confirm", "auth.change_password"):
        _limit(app, endpoint, guesses)
    _limit(
        app,
        "auth.login",
        limiter.limit(
            _setting("LOGIN_ADDRESS_LIMIT"),
            key_func=_address,
            methods=["POST"],
            deduct_when=_rejected,
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
