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
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("lone\ud800surrogate", "lonesurrogate"),
        ("NUL\x00byte.txt", "NULbyte.txt"),
        ("CON.txt", "CON_.txt"),
        ("nul", "nul_"),
        ("COM\u00b9.txt", "COM\u00b9_.txt"),
        ("...", "file"),
        ("", "file"),
        ("a" * 300 + ".txt", "a" * 196 + ".txt"),
        ("\U0001f600" * 100 + ".png", "\U0001f600" * 49 + ".png"),
    ],
)
def test_safe_file_name(given: str, expected: str) -> None:
    assert safe_file_name(given) == expected


def test_result_never_escapes_the_folder() -> None:
    for name in ["..", "../..", "a/../../b", "\\..\\..", "..\u0000/x"]:
        result = safe_file_name(name)
        assert "/" not in result and "\\" not in result and not result.startswith("..")


def test_result_fits_a_file_system_name_with_its_member_prefix() -> None:
    for name in ["\U0001f600" * 300, "é" * 300 + ".jpeg", "x" * 1000]:
        assert len(safe_file_name(name).encode()) <= 200
