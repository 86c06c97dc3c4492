"""DELETE /api/account: close the account after the grace period (DESIGN.md "Erasure")."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.auth.activity import record
from webapp.auth.passwords import verify_password
from webapp.auth.session import is_recent_login, login_required
from webapp.erasure.schedule import request_erasure
from webapp.errors import api_error
from webapp.extensions import db

api_bp = Blueprint("account_api", __name__, url_prefix="/api/account")


@api_bp.delete("")
@login_required
def delete() -> Response | tuple[Response, int]:
    """202 {"erase_at"} with the right password; 403 with a wrong one; 401 on a stale login."""
    if not is_recent_login():
        return api_error(401, "reauth_required", "Confirm your password first: POST /auth/confirm.")
    body = request.get_json(silent=True)
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(password, str) or not verify_password(current_user.password_hash, password):
        record(current_user.id, "account_erase_refused")
        db.session.commit()
        return api_error(403, "wrong_password", "That password is not right.")
    erase_at = request_erasure(current_user)
    return jsonify({"erase_at": erase_at.isoformat()}), 202
