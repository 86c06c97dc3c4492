"""Download headers both backends send: the file name and the whole file's digest."""

from __future__ import annotations

import base64

from werkzeug.wrappers import Response

from webapp.names import content_disposition

__all__ = ["add_digest", "content_disposition"]


def add_digest(response: Response, sha256: str | None) -> Response:
    """Send Repr-Digest (RFC 9530) so a client can check the whole file it received."""
    if sha256:
        digest = base64.b64encode(bytes.fromhex(sha256)).decode()
        response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
