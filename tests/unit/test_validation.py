"""Text and numbers are judged the same way in every form, query and JSON body."""

from __future__ import annotations

import pytest
from flask import Flask

from webapp.names import content_disposition, visible_name
from webapp.validation import InvalidInput, bounded_int, json_object, json_text, text_problem


@pytest.mark.parametrize(
    ("text", "line_breaks", "problem"),
    [
        ("plain title", False, None),
        ("ünïcödé and 漢字 and \u202eRTL", False, None),
        ("two\nlines\tand a tab\r\n", True, None),
        ("a\x00b", True, "control character (U+0000)"),
        ("bell\x07", True, "control character (U+0007)"),
        ("c1 \x85 control", True, "control character (U+0085)"),
        ("delete\x7f", True, "control character (U+007F)"),
        ("lone \ud800 surrogate", True, "not valid Unicode"),
        ("one\nline", False, "single line"),
        ("tab\there", False, "single line"),
    ],
)
def test_text_problem(text: str, line_breaks: bool, problem: str | None) -> None:
    found = text_problem(text, line_breaks=line_breaks)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    "raw", ["999999999999999999999", "\u00b2", "\u0663", "0", "-1", "1e3", "x"]
)
def test_bounded_int_refuses_what_is_not_a_small_ascii_number(raw: str) -> None:
    with pytest.raises(InvalidInput, match=r"\?page= must be a whole number from 1 to 100"):
        bounded_int(raw, name="page", default=1, high=100)


@pytest.mark.parametrize(("raw", "value"), [(None, 1), ("", 1), ("7", 7), ("100", 100)])
def test_bounded_int_accepts_numbers_in_range_and_defaults(raw: str | None, value: int) -> None:
    assert bounded_int(raw, name="page", default=1, high=100) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "title is required"),
        (12, "title must be a string"),
        (["a"], "title must be a string"),
        ("x" * 201, "at most 200 characters"),
        ("a\x00", "control character"),
        ("two\nlines", "single line"),
    ],
)
def test_json_text_refuses_wrong_types_and_unsafe_text(value: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        json_text({"title": value}, "title", max_length=200)


def test_json_text_keeps_good_text_exactly() -> None:
    assert json_text({"body": "a\n\tb"}, "body", max_length=10, line_breaks=True) == "a\n\tb"
    assert json_text({}, "body", max_length=10, required=False) is None


def test_visible_name_spells_out_bidi_and_invisible_characters() -> None:
    assert visible_name("evil\u202egpj.exe") == "evil<U+202E>gpj.exe"
    assert visible_name("zero\u200bwidth\x00") == "zero<U+200B>width<U+0000>"
    assert visible_name("photo.jpg") == "photo.jpg"


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("photo.jpg", "attachment; filename=\"photo.jpg\"; filename*=UTF-8''photo.jpg"),
        (
            "../../../etc/passwd",
            "attachment; filename=\"_._._etc_passwd\"; filename*=UTF-8''_._._etc_passwd",
        ),
        (
            "r\u00e9sum\u00e9\u202e.pdf",
            "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
        ),
        (
            'quote"and;semi.txt',
            "attachment; filename=\"quote_and;semi.txt\"; filename*=UTF-8''quote_and%3Bsemi.txt",
        ),
    ],
)
def test_content_disposition_sends_the_safe_name_in_both_forms(name: str, header: str) -> None:
    assert content_disposition(name) == header


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"", {}), (b'{"a": 1}', {"a": 1}), (b"[1]", None), (b"{broken", None), (b"null", None)],
)
def test_json_object_is_an_object_or_refused(data: bytes, expected: dict[str, int] | None) -> None:
    app = Flask(__name__)
    with app.test_request_context(method="POST", data=data, content_type="application/json"):
        if expected is None:
            with pytest.raises(InvalidInput, match="Send a JSON object"):
                json_object()
        else:
            assert json_object() == expected
