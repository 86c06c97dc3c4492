"""Tell a store that is down (retry later) from an object that is not there (a real loss)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from webapp.storage.base import StoreUnavailable

MISSING = {"NoSuchKey", "404", "NotFound"}
BUSY = {"SlowDown", "RequestTimeout", "ServiceUnavailable", "InternalError", "503", "500"}


def _is_busy(error: ClientError) -> bool:
    """A 5xx or throttling answer: the store is there but cannot serve now."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status >= 500 or error.response.get("Error", {}).get("Code") in BUSY


@contextmanager
def guarded(key: str) -> Iterator[None]:
    """Translate botocore's errors into FileNotFoundError or StoreUnavailable."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in MISSING:
            raise FileNotFoundError(key) from error
        if _is_busy(error):
            raise StoreUnavailable(f"object store busy ({key})") from error
        raise
    except (ConnectionError, HTTPClientError) as error:
        raise StoreUnavailable(f"object store unreachable ({key})") from error
    except S3UploadFailedError as error:
        cause = error.__cause__
        if isinstance(cause, ClientError) and not _is_busy(cause):
            raise
        raise StoreUnavailable(f"upload to the object store failed ({key})") from error
