"""User-given file names, shown on pages and sent in headers as harmlessly as in the archive."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask

from webapp.archives.builder.names import is_hidden, safe_file_name


def visible_name(name: str) -> str:
    """Spell out invisible and bidi characters, so "evil\u202egpj.exe" cannot pass as a JPEG."""
    return "".join(f"<U+{ord(ch):04X}>" if is_hidden(ch) else ch for ch in name)


def content_disposition(name: str) -> str:
    """An RFC 6266 attachment header: an ASCII fallback and the exact safe name in filename*."""
    safe = safe_file_name(name)
    fallback = safe.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(safe, safe='')}"


def init_app(app: Flask) -> None:
    """Offer both names to templates: `safe_name` is the archive's, `visible_name` the exact."""
    app.add_template_filter(safe_file_name, "safe_name")
    app.add_template_filter(visible_name, "visible_name")
