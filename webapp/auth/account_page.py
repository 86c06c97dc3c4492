"""The account page: your activity trail, a password change, and logging out everywhere."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from webapp.auth.activity import record
from webapp.auth.activity_words import describe
from webapp.auth.blueprint import bp
from webapp.auth.forms import ChangePasswordForm, CloseAccountForm
from webapp.auth.models import ActivityEvent
from webapp.auth.passwords import hash_password, password_problem, verify_password
from webapp.auth.session import end_all_sessions, login_required, mark_authenticated
from webapp.auth.throttle import password_rejected
from webapp.extensions import db

EVENTS_SHOWN = 100


def account_context(
    form: ChangePasswordForm | None = None, close_form: CloseAccountForm | None = None
) -> dict[str, Any]:
    """What the account page shows: its forms and the user's latest events."""
    events = db.session.scalars(
        sa.select(ActivityEvent)
        .where(ActivityEvent.user_id == current_user.id)
        .order_by(ActivityEvent.id.desc())
        .limit(EVENTS_SHOWN)
    )
    return {
        "form": form or ChangePasswordForm(),
        "close_form": close_form or CloseAccountForm(),
        "events": list(events),
        "plain_form": FlaskForm(),
        "describe": describe,
        "erase_grace_hours": int(current_app.config["ACCOUNT_ERASE_GRACE"]) // 3600,
    }


def _page(form: ChangePasswordForm) -> str:
    """Render the account page with a password form as submitted."""
    return render_template("auth/account.html", **account_context(form))


@bp.get("/account")
@login_required
def account() -> str:
    """Show the account's recent activity and its settings."""
    return _page(ChangePasswordForm())


@bp.post("/password")
@login_required
def change_password() -> str | Response:
    """Change the password (the current one is required) and end every other session."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        problem = password_problem(form.new.data, current_user.email)
        if not verify_password(current_user.password_hash, form.current.data):
            password_rejected()
            form.current.errors.append("That is not your current password.")
        elif problem:
            form.new.errors.append(problem)
        else:
            current_user.password_hash = hash_password(form.new.data)
            current_user.session_version += 1
            record(current_user.id, "password_changed")
            db.session.commit()
            # The user object itself, not the proxy: this session continues under the new version.
            login_user(current_user._get_current_object())
            mark_authenticated()
            flash("Password changed. Every other session has been logged out.", "info")
            return redirect(url_for("auth.account"))
    return _page(form)


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere() -> Response:
    """Void every session and remember-me cookie of this account, this one included."""
    if FlaskForm().validate_on_submit():
        end_all_sessions(current_user, "logout_everywhere")
        flash("You are logged out on every device.", "info")
    return redirect(url_for("auth.login"))
