"""Where a `next=` parameter may send a user: only to a path on this site."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def safe_next(target: str | None, default: str) -> str:
    """Return target when it is a local path, else the default."""
    if not target:
        return default
    decoded = target
    for _ in range(3):  # undo double and triple encoding before judging
        decoded = unquote(decoded)
    if not decoded.startswith("/") or decoded.startswith(("//", "/\\")):
        return default
    if "\\" in decoded or any(ord(ch) < 32 or ord(ch) == 127 for ch in decoded):
        return default
    parts = urlsplit(decoded)
    if parts.scheme or parts.netloc:
        return default
    return target
