"""Drive the app as a browser would: fetch the CSRF token, post forms, call the API."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PASSWORD = "a long test password 42"
META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def token_in(html: str) -> str:
    """Read the CSRF token every page carries in its meta tag."""
    match = META.search(html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/auth/login") -> str:
    """Fetch a page through the test client and read its CSRF token."""
    return token_in(client.get(path).get_data(as_text=True))


def register(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """Submit the registration form."""
    token = csrf_token(client, "/auth/register")
    return client.post(
        "/auth/register", data={"email": email, "password": password, "csrf_token": token}
    )


def login(
    client: FlaskClient, email: str, password: str = PASSWORD, remember: bool = False
) -> TestResponse:
    """Submit the login form."""
    data: dict[str, Any] = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    return client.post("/auth/login", data=data)


def sign_up(client: FlaskClient, email: str) -> None:
    """Register and log in, failing loudly if either step does not work."""
    register(client, email)
    response = login(client, email)
    assert response.status_code == 302, response.get_data(as_text=True)


def api(client: FlaskClient, method: str, path: str, **kwargs: Any) -> TestResponse:
    """Call the JSON API with the CSRF header unsafe methods need."""
    headers = {"X-CSRFToken": csrf_token(client, "/notes"), "Accept": "application/json"}
    return client.open(path, method=method, headers=headers, **kwargs)
