"""A minimal real-HTTP browser: a cookie jar, no automatic redirects, the page's CSRF token."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message

from tests.support.http import token_in


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Answer:
    """What came back: status, headers and body text."""

    status: int
    headers: Message
    text: str


class HttpBrowser:
    """One visitor over real HTTP to a live server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def open(
        self, path: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read().decode())

    def token(self, path: str = "/auth/login") -> str:
        return token_in(self.open(path).text)

    def post_form(
        self,
        path: str,
        fields: dict[str, str],
        page: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        return self.open(path, {**fields, "csrf_token": self.token(page or path)}, headers)

    def login(
        self,
        email: str,
        password: str,
        remember: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        fields = {"email": email, "password": password, **({"remember": "y"} if remember else {})}
        return self.post_form("/auth/login", fields, headers=headers)

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        return next((c for c in self.jar if c.name == name), None)
