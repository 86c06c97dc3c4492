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
def archive_from_request() -> Iterator[list[tuple[str, IO[bytes]]]]:
    """The files of the multipart field `archive` (one ZIP, or an archive's parts), by name.

    Werkzeug spools each to disk as it arrives; all are closed after.
    """
    # Archives may be larger than ordinary uploads: bounded by the import limit instead.
    request.max_content_length = int(current_app.config["IMPORT_MAX_BYTES"])
    uploads = [upload for upload in request.files.getlist("archive") if upload.filename]
    try:
        if not uploads:
            raise UploadRefused("archive_missing", "Choose a Keepsake archive (.zip) to import.")
        for upload in uploads:
            upload.stream.seek(0, 2)
            if upload.stream.tell() == 0:
                raise UploadRefused("archive_empty", f"{upload.filename} is empty.")
            upload.stream.seek(0)
        yield [(upload.filename or "archive.zip", upload.stream) for upload in uploads]
    finally:
        for upload in uploads:
            upload.close()
