"""Any S3-compatible store (AWS S3, MinIO, Ceph, R2) through boto3."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from boto3.s3.transfer import TransferConfig
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from webapp.storage.base import Download, Reader, StoredObject, Written
from webapp.storage.errors import guarded
from webapp.storage.hashing import HashingReader
from webapp.storage.headers import add_digest, content_disposition

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PART = 8 * 1024 * 1024


def transfer_config() -> TransferConfig:
    """Multipart in 8 MiB parts with a fixed number in flight: memory stays flat."""
    config = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=4)
    # A non-seekable upload (an incoming request body) buffers this many parts at most.
    config.max_in_memory_upload_chunks = 2
    return config


class S3Store:
    """Objects under s3://S3_BUCKET/S3_PREFIX<area>/<key>; downloads are presigned redirects."""

    def __init__(
        self, client: S3Client, presigner: S3Client, bucket: str, prefix: str, url_seconds: int
    ) -> None:
        """Keep one client for traffic and one for signing URLs browsers can reach."""
        self.client = client
        self.presigner = presigner
        self.bucket = bucket
        self.prefix = prefix
        self.url_seconds = url_seconds
        self.transfer = transfer_config()

    def object_key(self, area: str, key: str) -> str:
        """The object's full key in the bucket."""
        return f"{self.prefix}{area}/{key}"

    def write(self, area: str, key: str, stream: BinaryIO) -> Written:
        """Upload the stream as it arrives; S3 shows the object only once it is complete."""
        reader = HashingReader(stream)
        with guarded(key):
            self.client.upload_fileobj(
                cast(Any, reader), self.bucket, self.object_key(area, key), Config=self.transfer
            )
        return Written(key, reader.size, reader.sha256, reader.crc32)

    def publish_file(
        self, area: str, key: str, path: Path, keepalive: Callable[[], None] | None = None
    ) -> None:
        """Upload a finished local file in parallel parts, then drop the local copy."""
        try:
            with guarded(key):
                self.client.upload_file(
                    str(path),
                    self.bucket,
                    self.object_key(area, key),
                    Config=self.transfer,
                    Callback=(lambda sent: keepalive()) if keepalive else None,
                )
        finally:
            path.unlink(missing_ok=True)

    def open(self, area: str, key: str) -> AbstractContextManager[Reader]:
        """Stream an object's body; FileNotFoundError when it is not there."""
        return self._body(area, key)

    @contextmanager
    def _body(self, area: str, key: str) -> Iterator[Reader]:
        """Yield the body as a file, with store errors told apart as transient or missing."""
        with guarded(key):
            body = self.client.get_object(Bucket=self.bucket, Key=self.object_key(area, key))[
                "Body"
            ]
            try:
                yield _GuardedBody(body, key)
            finally:
                body.close()

    def prefetch(self, area: str, key: str) -> None:
        """Nothing to ask ahead: a GET streams from the first byte it is read."""

    def remove(self, area: str, key: str) -> None:
        """Delete an object (S3 answers success for a missing one too)."""
        with guarded(key):
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(area, key))

    def keys(self, area: str, prefix: str = "") -> Iterator[StoredObject]:
        """List the area page by page."""
        base = self.object_key(area, "")
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=base + prefix
        )
        with guarded(base):
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"][len(base) :], item["Size"], item["LastModified"])

    def remove_incomplete(self, area: str, prefix: str, before: datetime) -> int:
        """Abort multipart uploads that a dead process left behind (they cost storage)."""
        base = self.object_key(area, prefix)
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=base
        )
        aborted = 0
        with guarded(base):
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] < before:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
        return aborted

    def download(self, area: str, key: str, offer: Download) -> Response:
        """Redirect to a short-lived URL; the store serves Range and keeps the file name."""
        with guarded(key):
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(area, key))
        url = self.presigner.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self.object_key(area, key),
                "ResponseContentDisposition": content_disposition(offer.name),
                "ResponseContentType": offer.mimetype,
            },
            ExpiresIn=self.url_seconds,
        )
        return add_digest(redirect(url, 302), offer.sha256)


class _GuardedBody:
    """A streaming body whose read errors surface as StoreUnavailable."""

    def __init__(self, body: Any, key: str) -> None:
        """Wrap botocore's StreamingBody."""
        self._body = body
        self._key = key

    def read(self, size: int = -1) -> bytes:
        """Read up to size bytes."""
        with guarded(self._key):
            return cast(bytes, self._body.read(size if size >= 0 else None))

    def readinto(self, buffer: memoryview) -> int:
        """Read into the caller's buffer, so a reader can use one buffer again and again."""
        with guarded(self._key):
            return cast(int, self._body.readinto(buffer))
