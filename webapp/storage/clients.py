"""boto3 clients made from Flask settings; credentials come the standard AWS ways."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from webapp.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def _client(config: dict[str, Any], endpoint: str | None) -> S3Client:
    """A client with bounded timeouts and retries, so an outage fails fast and is retried."""
    settings = Config(
        region_name=config["S3_REGION"],
        signature_version="s3v4",
        connect_timeout=5,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": 3},
        # Path-style addressing works on every S3-compatible store; MinIO needs it.
        s3={"addressing_style": "path" if endpoint else "auto"},
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=settings)


def s3_store(config: dict[str, Any]) -> S3Store:
    """The S3 backend; presigned URLs use S3_PUBLIC_ENDPOINT_URL when browsers see another host."""
    endpoint = config.get("S3_ENDPOINT_URL")
    client = _client(config, endpoint)
    public = config.get("S3_PUBLIC_ENDPOINT_URL")
    presigner = _client(config, public) if public and public != endpoint else client
    return S3Store(
        client,
        presigner,
        config["S3_BUCKET"],
        config.get("S3_PREFIX") or "",
        int(config["DOWNLOAD_URL_SECONDS"]),
    )
