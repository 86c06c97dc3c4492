"""Errors as values people can read: JSON under /api, a page elsewhere, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from webapp.extensions import db, login_manager

log = logging.getLogger(__name__)
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}
VALUE_REFUSED = "Keepsake cannot store a value you sent. Check it and try again."
MESSAGES = {
    404: "There is nothing here, or it is not yours.",
    413: "That file is larger than the upload limit.",
    500: "Something went wrong on our side. It has been logged.",
    503: "Keepsake cannot reach its database right now. Please try again shortly.",
}


def api_error(status: int, code: str, message: str) -> Response:
    """Build the JSON error every API answer uses: {"error", "message"}."""
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    return response


def _wants_json() -> bool:
    """Answer JSON under /api/ and to clients that prefer it; pages get HTML."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def respond(status: int, code: str, message: str) -> Response | tuple[str, int]:
    """Answer JSON or a page, whichever the client wants; never fail while doing so."""
    _end_failed_transaction()
    if _wants_json():
        return api_error(status, code, message)
    try:
        return render_template("error.html", status=status, message=message), status
    except Exception:  # the page needs the database and templates; the answer must not
        log.exception("error page for %s could not be rendered", status)
        return f"{status}: {message}\n", status


def _end_failed_transaction() -> None:
    """Roll back, so the answer (which may load the user) is not refused by a broken session."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        log.exception("rollback failed while answering an error")


def init_app(app: Flask) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> Response | tuple[str, int]:
        """Explain an expired or foreign form instead of a bare 400."""
        return respond(
            400,
            "csrf_failed",
            "The form expired or was not sent from Keepsake. Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[str, int]:
        """Answer every HTTP error in our own format."""
        if isinstance(error.response, Response):
            return error.response  # a view's own answer, e.g. a form saying when to retry
        status = error.code or 500
        message = MESSAGES.get(status) or error.description or "Request failed."
        return respond(status, CODES.get(status, "error"), message)

    @app.errorhandler(OperationalError)
    def database_down(error: OperationalError) -> Response:
        """Answer 503 while the database is unreachable."""
        log.error("database unavailable: %s", error.orig)
        _end_failed_transaction()
        # JSON even for pages: rendering one would need the database again.
        return api_error(503, "database_unavailable", MESSAGES[503])

    @app.errorhandler(DataError)
    def value_refused(error: DataError) -> Response | tuple[str, int]:
        """Answer 400 when the database refuses a value (a backstop to the edge's checks)."""
        log.warning("database refused a value on %s: %s", request.path, error.orig)
        return respond(400, "invalid_input", VALUE_REFUSED)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response | tuple[str, int]:
        """Log a bug with its traceback, show the user a plain 500."""
        log.exception("unhandled error on %s %s", request.method, request.path)
        return respond(500, CODES[500], MESSAGES[500])

    def unauthorized() -> Response:
        """Answer 401 JSON to API clients, send browsers to the login page."""
        if _wants_json():
            return api_error(401, "login_required", "Log in first.")
        return redirect(url_for("auth.login", next=request.full_path))

    login_manager.unauthorized_handler(unauthorized)
