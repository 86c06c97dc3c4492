"""The human-facing members: README.txt and the offline index.html."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from webapp.archives.builder.preview import Preview
from webapp.archives.builder.spec import Section

FORMAT = "keepsake-archive"
VERSION = 2
_env = Environment(
    loader=PackageLoader("webapp.archives.builder", "templates"),
    autoescape=select_autoescape(default=True),
    keep_trailing_newline=True,
)


def readme(owner_email: str, generated_at: datetime, sections: Sequence[Section]) -> bytes:
    """Explain what the archive holds and how to check it, in plain text."""
    text = _env.get_template("README.txt").render(
        email=owner_email,
        generated_at=generated_at.isoformat(),
        sections=sections,
        format=FORMAT,
        version=VERSION,
    )
    return text.encode("utf-8")


def index_html(
    owner_email: str,
    generated_at: datetime,
    sections: Sequence[Section],
    counts: Mapping[str, int],
    previews: Mapping[str, Preview],
) -> Iterator[bytes]:
    """Render the offline page: escaped HTML, no script, readable from a USB stick."""
    context: dict[str, Any] = {
        "email": owner_email,
        "generated_at": generated_at.isoformat(),
        "sections": sections,
        "counts": counts,
        "previews": previews,
    }
    for chunk in _env.get_template("index.html").generate(context):
        yield chunk.encode("utf-8")
