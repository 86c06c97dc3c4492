"""`next=` may only lead to a path on this site."""

from __future__ import annotations

import pytest

from webapp.auth.redirects import safe_next


@pytest.mark.parametrize("target", ["/archives", "/notes?page=2", "/files#top"])
def test_local_paths_are_kept(target: str) -> None:
    assert safe_next(target, "/default") == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "%2F%2Fevil.example",
        "/%2F%2Fevil.example",
        "%252F%252Fevil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\tevil",
        " //evil.example",
        "",
        None,
    ],
)
def test_foreign_targets_fall_back(target: str | None) -> None:
    assert safe_next(target, "/default") == "/default"
