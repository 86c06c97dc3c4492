"""Download headers both backends send: the file name and the whole file's digest."""

from __future__ import annotations

import base64
import unicodedata
from urllib.parse import quote

from werkzeug.wrappers import Response


def content_disposition(name: str) -> str:
    """An attachment header with an ASCII fallback and the exact name in RFC 6266 filename*."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join(c for c in ascii_name if c.isprintable() and c not in '"\\/') or "download"
    if fallback == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def add_digest(response: Response, sha256: str | None) -> Response:
    """Send Repr-Digest (RFC 9530) so a client can check the whole file it received."""
    if sha256:
        digest = base64.b64encode(bytes.fromhex(sha256)).decode()
        response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
