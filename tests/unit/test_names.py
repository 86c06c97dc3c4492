"""Member names stay one harmless path component, whatever a user named the upload."""

from __future__ import annotations

import pytest

from webapp.archives.builder.names import safe_file_name


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "_._etc_passwd"),
        ("/absolute/path.txt", "_absolute_path.txt"),
        ("C:\\Windows\\evil.exe", "C__Windows_evil.exe"),
        ("bidi\u202egnp.exe", "bidignp.exe"),
        ("tab\tand\nnewline.txt", "tabandnewline.txt"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("...", "file"),
        ("", "file"),
        ("a" * 300 + ".txt", "a" * 116 + ".txt"),
    ],
)
def test_safe_file_name(given: str, expected: str) -> None:
    assert safe_file_name(given) == expected


def test_result_never_escapes_the_folder() -> None:
    for name in ["..", "../..", "a/../../b", "\\..\\..", "..\u0000/x"]:
        result = safe_file_name(name)
        assert "/" not in result and "\\" not in result and not result.startswith("..")
