"""Register, log in, log out and confirm the password."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.auth import intent
from webapp.auth.accounts import create_user, find_user
from webapp.auth.activity import record
from webapp.auth.blueprint import bp
from webapp.auth.forms import ConfirmPasswordForm, LoginForm, RegisterForm
from webapp.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from webapp.auth.redirects import safe_next
from webapp.auth.session import (
    end_all_sessions,
    login_required,
    mark_authenticated,
    start_session,
)
from webapp.auth.throttle import password_rejected
from webapp.extensions import db

LOGIN_FAILED = "Invalid email or password."
REGISTERED = "If that email can be used, your account is ready: log in with it."


def _next_url() -> str:
    """Where to go after logging in: a local `next`, or the notes."""
    return safe_next(request.args.get("next") or request.form.get("next"), url_for("notes.index"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response:
    """Create an account without telling strangers which emails exist."""
    form = RegisterForm()
    if form.validate_on_submit():
        problem = password_problem(form.password.data, form.email.data)
        if problem:
            form.password.errors.append(problem)
        else:
            if find_user(form.email.data) is None:
                create_user(form.email.data, form.password.data)
                db.session.commit()
            flash(REGISTERED, "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Log in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        ok = verify_password(user.password_hash if user else None, form.password.data)
        if user is not None and ok:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            start_session(user, remember=bool(form.remember.data))
            record(user.id, "login")
            db.session.commit()
            if user.erase_at is not None:  # in the grace period: offer to keep the account
                flash("This account is about to be erased. You can still cancel below.", "info")
                return redirect(url_for("auth.account"))
            return redirect(_next_url())
        password_rejected()
        if user is not None:
            record(user.id, "login_failed")
            db.session.commit()
        form.form_errors.append(LOGIN_FAILED)
    return render_template("auth/login.html", form=form, next=request.args.get("next", ""))


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End this session and void every copy of its cookies."""
    # Logging out voids the session version, so no copy of this session's cookies survives.
    end_all_sessions(current_user, "logout")
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
def confirm() -> str | Response:
    """Ask for the password again before an export, then continue."""
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        if verify_password(current_user.password_hash, form.password.data):
            mark_authenticated()
            waiting = intent.take()
            return waiting.continuation.run(waiting.args) if waiting else redirect(_next_url())
        password_rejected()
        record(current_user.id, "reauth_failed")
        db.session.commit()
        form.form_errors.append("That password is not right.")
    return render_template(
        "auth/confirm.html", form=form, next=request.args.get("next", ""), waiting=intent.pending()
    )
