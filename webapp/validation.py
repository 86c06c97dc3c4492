"""Input checked at the edge: text without NUL or control characters, numbers within bounds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map
from wtforms import Field, Form, ValidationError

from webapp.errors import respond

# Every primary key is a 32-bit integer: a larger number in a path cannot name a row.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
# C0 and C1 controls (NUL included) and lone surrogates, which no database column can hold.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\t\n\r]")
_DIGITS = re.compile(r"[0-9]{1,12}", re.ASCII)


class InvalidInput(ValueError):
    """A value the client sent that Keepsake refuses; the message is safe to show."""

    def __init__(self, message: str) -> None:
        """Keep what to tell the client."""
        super().__init__(message)
        self.message = message


def text_problem(value: str, *, line_breaks: bool = False) -> str | None:
    """Say what is wrong with a piece of text, or None when it can be stored as it is."""
    bad = _UNSAFE.search(value) or (None if line_breaks else _LINE_BREAKS.search(value))
    if bad is None:
        return None
    char = bad.group()
    if "\ud800" <= char <= "\udfff":
        return "contains a character that is not valid Unicode."
    if char in "\t\n\r":
        return "must be a single line, without tabs or line breaks."
    return f"contains an invisible control character (U+{ord(char):04X}); remove it."


class PlainText:
    """WTForms validator: refuse NUL, lone surrogates and control characters with a message."""

    def __init__(self, *, line_breaks: bool = False) -> None:
        """Choose whether tabs and line breaks belong in this field (a body: yes)."""
        self.line_breaks = line_breaks

    def __call__(self, form: Form, field: Field) -> None:
        """Raise the field's error when its text cannot be kept."""
        if isinstance(field.data, str):
            problem = text_problem(field.data, line_breaks=self.line_breaks)
            if problem:
                raise ValidationError(problem[0].upper() + problem[1:])


def bounded_int(raw: str | None, *, name: str, default: int, low: int = 1, high: int) -> int:
    """Parse a whole number from a query, or refuse it; absent or empty gives the default."""
    if raw is None or raw == "":
        return default
    if _DIGITS.fullmatch(raw) is None or not low <= int(raw) <= high:
        raise InvalidInput(f"?{name}= must be a whole number from {low:,} to {high:,}.")
    return int(raw)


def requested_page() -> int:
    """The 1-based page number of a listing, from ?page=, within MAX_PAGE."""
    return bounded_int(request.args.get("page"), name="page", default=1, high=MAX_PAGE)


def json_object() -> dict[str, Any]:
    """The request's JSON body, which must be an object; no body is an empty one."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object.")
    return body


def json_text(
    body: Mapping[str, Any],
    key: str,
    *,
    max_length: int,
    required: bool = True,
    line_breaks: bool = False,
) -> str | None:
    """Read one text field of a JSON body, refusing wrong types, overlong and unsafe text."""
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{key} is required.")
        return None if value is None else ""
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be a string.")
    if len(value) > max_length:
        raise InvalidInput(f"{key} must be at most {max_length} characters.")
    problem = text_problem(value, line_breaks=line_breaks)
    if problem:
        raise InvalidInput(f"{key} {problem}")
    return value


class DatabaseId(IntegerConverter):
    """`<int:...>` in a path, bounded by the key type: a larger number is a 404, not a 500."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        """Default the upper bound to the largest id a row can have."""
        super().__init__(map, fixed_digits, min, max, signed)


def _unsafe_strings(value: Any) -> str | None:
    """Find the first key or string in a JSON value holding NUL or a lone surrogate."""
    pending = [value]  # a loop, not recursion: a deep body must not exhaust the stack
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            problem = text_problem(item, line_breaks=True)
            if problem:
                return problem
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


def refuse_unsafe_input() -> Any:
    """Answer 400 before any view sees a query or JSON body with NUL or control characters."""
    for key, value in request.args.items(multi=True):
        problem = text_problem(key) or text_problem(value)
        if problem:
            return respond(400, "invalid_input", f"The address's query {problem}")
    if request.is_json and request.get_data(cache=True):
        try:
            body = request.get_json(silent=True)
        except RecursionError:
            body = None
        if not isinstance(body, dict):
            # Flask-WTF reads a JSON body as form data, which only an object can be.
            return respond(400, "invalid_json", "The body must be a JSON object.")
        if not request.path.startswith("/api/") and not all(
            isinstance(value, str) for value in body.values()
        ):
            # Outside /api a JSON body is a form's fields (Flask-WTF), and a field is text.
            return respond(400, "invalid_input", "Every field of the form must be text.")
        problem = _unsafe_strings(body)
        if problem:
            return respond(400, "invalid_input", f"A text in the JSON body {problem}")
    return None


def init_app(app: Flask) -> None:
    """Bound path numbers (before any route is added), guard every request, answer refusals."""
    app.url_map.converters["int"] = DatabaseId
    app.before_request(refuse_unsafe_input)

    @app.errorhandler(InvalidInput)
    def invalid_input(error: InvalidInput) -> Any:
        """Answer a refused value with 400 and what to change."""
        return respond(400, "invalid_input", error.message)
