"""Taking an uploaded archive off a request, for both the page and the API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from flask import current_app, request


class UploadRefused(Exception):
    """The request carried no usable archive; nothing was stored."""

    def __init__(self, code: str, message: str) -> None:
        """Keep the code and the user-safe message."""
        super().__init__(message)
        self.code = code
        self.message = message


@contextmanager
def archive_from_request() -> Iterator[IO[bytes]]:
    """The multipart field `archive`, spooled to disk by Werkzeug as it arrives; closed after."""
    # Archives may be larger than ordinary uploads: bounded by the import limit instead.
    request.max_content_length = int(current_app.config["IMPORT_MAX_BYTES"])
    upload = request.files.get("archive")
    if upload is None or not upload.filename:
        raise UploadRefused("archive_missing", "Choose a Keepsake archive (.zip) to import.")
    try:
        upload.stream.seek(0, 2)
        if upload.stream.tell() == 0:
            raise UploadRefused("archive_empty", "That file is empty.")
        upload.stream.seek(0)
        yield upload.stream
    finally:
        upload.close()
