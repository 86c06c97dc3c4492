"""Response headers that keep pages and downloads from being framed, sniffed or leaked."""

from __future__ import annotations

from flask import Flask, current_app
from werkzeug.wrappers import Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def add_headers(response: Response) -> Response:
    """Set the security headers on every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["PREFER_HTTPS"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    """Install the header hook."""
    app.after_request(add_headers)
