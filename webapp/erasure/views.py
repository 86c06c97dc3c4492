"""The account page's "Close your account" form, and taking it back in the grace period."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from webapp.auth.account_page import account_context
from webapp.auth.blueprint import bp
from webapp.auth.forms import CloseAccountForm
from webapp.auth.passwords import verify_password
from webapp.auth.session import login_required, mark_authenticated
from webapp.erasure.schedule import cancel_erasure, request_erasure

CONFIRM_WORD = "DELETE"


@bp.post("/account/delete")
@login_required
def delete_account() -> str | Response:
    """Schedule the erasure: the password (which re-authenticates) and the typed word."""
    form = CloseAccountForm()
    if form.validate_on_submit():
        if form.confirm.data.strip() != CONFIRM_WORD:
            form.confirm.errors.append(f"Type {CONFIRM_WORD} to confirm.")
        elif not verify_password(current_user.password_hash, form.password.data):
            form.password.errors.append("That is not your password.")
        else:
            mark_authenticated()
            erase_at = request_erasure(current_user)
            flash(
                f"Your account will be erased on {erase_at:%Y-%m-%d at %H:%M} UTC. "
                "Until then you can export your data or cancel.",
                "info",
            )
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", **account_context(close_form=form))


@bp.post("/account/delete/cancel")
@login_required
def cancel_delete_account() -> Response:
    """Keep the account: cancel a pending erasure while the grace period lasts."""
    if FlaskForm().validate_on_submit():
        if cancel_erasure(current_user):
            flash("Your account will not be erased.", "info")
        else:
            flash("There is no erasure to cancel.", "error")
    return redirect(url_for("auth.account"))
