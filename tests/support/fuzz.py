"""Hostile values, and requests built from an app's url_map so new routes are fuzzed too."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from flask import Flask
from werkzeug.routing import Rule

MEGABYTE = 1_000_000
# Text a client can send anywhere: NUL, an escape sequence, overlong and non-ASCII digits,
# empty, a lone surrogate, bidi, traversal and a 1 MB value.
TEXT = [
    "a\x00b",
    "\x1b[2J\x07",
    "9" * 30,
    "\u00b2",
    "",
    "-1",
    "\ud800",
    "evil\u202egpj.exe",
    "../../../etc/passwd",
    "x" * MEGABYTE,
]
# JSON values of every wrong type, in place of whatever a field expects.
WRONG_TYPES: list[Any] = [None, 0, -(2**70), 1e308, True, [], ["a\x00"], {"a": {"b": None}}]
RAW_JSON = [b"{", b"null", b'"text"', b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe"]
PATH_VALUES = {
    "int": ["0", "2147483648", "9" * 30, "\u00b2"],
    "uuid": [str(uuid.uuid4()), "0" * 40],
    "default": ["a\x00b", "\ud800", "..", "x" * MEGABYTE],
}
QUERY_KEYS = ["page", "next", "status", "sections", "since", "until", "incremental", "id", "q"]
JSON_KEYS = ["title", "body", "sections", "since", "until", "incremental", "password", "email"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
FIELD = re.compile(r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"')


def _keys(keys: list[str], value: Any) -> list[str]:
    """Every key for a small value; the first few for a 1 MB one, to keep the run short."""
    return keys[:3] if isinstance(value, str) and len(value) > 1000 else keys


def encoded(value: str) -> str:
    """Percent-encode any text, lone surrogates included (as the bytes a client could send)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@dataclass
class Call:
    """One request to send."""

    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def routes(app: Flask) -> list[Rule]:
    """Every rule of the app except the static files."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def path_for(rule: Rule, values: dict[str, str]) -> str:
    """Fill a rule's arguments: the converter's entry in `values`, else its default one."""
    return ARGUMENT.sub(lambda m: values.get(m["converter"], values["default"]), rule.rule)


def field_names(pages: list[str]) -> list[str]:
    """The names of every form field on the given pages, without the CSRF token."""
    names = {name for page in pages for name in FIELD.findall(page)}
    return sorted(names - {"csrf_token"})


def form_body(names: list[str], value: str, token: str) -> bytes:
    """A urlencoded form setting every field to `value`, with a valid CSRF token."""
    pairs = [f"{quote(name)}={encoded(value)}" for name in names]
    return "&".join([*pairs, f"csrf_token={token}"]).encode()


def multipart_body(file_name: str, content_type: str, token: str) -> tuple[bytes, str]:
    """An upload whose file name and content type are hostile (bytes, as a client sends)."""
    boundary = uuid.uuid4().hex
    name = file_name.encode("utf-8", "surrogatepass").replace(b'"', b"%22")
    parts = [
        f"--{boundary}\r\n".encode(),
        b'Content-Disposition: form-data; name="file"; filename="' + name + b'"\r\n',
        b"Content-Type: " + content_type.encode("utf-8", "surrogatepass") + b"\r\n\r\n",
        b"content\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'.encode(),
        token.encode() + f"\r\n--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def hostile_calls(rule: Rule, real: dict[str, str], names: list[str], token: str) -> Iterator[Call]:
    """Every hostile request for one rule: paths, queries, forms, uploads and JSON bodies."""
    path = path_for(rule, real)
    # A converter without its own values (path, any...) gets the default's hostile strings.
    converters = {
        match["converter"] if match["converter"] in PATH_VALUES else "default"
        for match in ARGUMENT.finditer(rule.rule)
    }
    paths = [path_for(rule, {**real, c: encoded(v)}) for c in converters for v in PATH_VALUES[c]]
    for hostile_path in [path, *paths]:
        yield from (Call(method, hostile_path) for method in METHODS)
    for value in TEXT:
        query = "&".join(f"{key}={encoded(value)}" for key in _keys([*QUERY_KEYS, *names], value))
        yield Call("GET", f"{path}?{query}")
    for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
        yield from _bodies(method, path, names, token)


def _bodies(method: str, path: str, names: list[str], token: str) -> Iterator[Call]:
    """Hostile bodies of one unsafe method on one path."""
    csrf = {"X-CSRFToken": token, "Accept": "application/json"}
    form = "application/x-www-form-urlencoded"
    for value in TEXT:
        yield Call(method, path, form_body(names, value, token), form)
        body, multipart = multipart_body(value, value, token)
        yield Call(method, path, body, multipart)
    for value in [*TEXT, *WRONG_TYPES]:
        keys = _keys([*JSON_KEYS, *names], value)
        payload = json.dumps({key: value for key in keys}).encode()
        yield Call(method, path, payload, "application/json", csrf)
    for raw in RAW_JSON:
        yield Call(method, path, raw, "application/json", csrf)
