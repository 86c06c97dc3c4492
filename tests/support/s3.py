"""A real S3-protocol server for the tests: moto's threaded server on a loopback port.

Production code talks to it over HTTP exactly as it would to S3; nothing is patched. A test
may stop it (the port then refuses connections, as a dead store does), start it again on the
same port, or have it stop itself when a chosen request arrives.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import boto3
from moto.server import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    ThreadedMotoServer,
    create_backend_app,
)
from werkzeug.serving import make_server

from dev.embedded_redis import free_port

Environ = dict[str, Any]
# moto accepts any credentials; the standard variables are how every process finds them.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class S3Server(ThreadedMotoServer):
    """moto's S3 that can die like a real store: refusing connections, even mid-upload."""

    def __init__(self, port: int | None = None) -> None:
        super().__init__("127.0.0.1", port or free_port(), verbose=False)
        self.stop_when: Callable[[Environ], bool] | None = None
        self.requests: list[str] = []

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            self._ip_address,
            self._port,
            self._faulty(app),
            True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()

    def _faulty(self, app: Any) -> Callable[[Environ, Any], Iterable[bytes]]:
        def serve(environ: Environ, start_response: Any) -> Iterable[bytes]:
            self.requests.append(f"{environ['REQUEST_METHOD']} {environ.get('QUERY_STRING', '')}")
            if self.stop_when is not None and self.stop_when(environ):
                self.stop_when = None
                threading.Thread(target=self.stop, daemon=True).start()
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"stopping"]
            return app(environ, start_response)  # type: ignore[no-any-return]

        return serve

    def stop(self) -> None:
        """Stop serving and close the listening socket, so new connections are refused."""
        super().stop()
        if self._server is not None:
            self._server.server_close()
            self._server = None

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", **_credentials())

    def new_bucket(self) -> str:
        name = f"keepsake-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def settings(self, bucket: str) -> dict[str, Any]:
        """Flask settings of the s3 backend on this server."""
        return {"STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.url}


def _credentials() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def use_test_credentials() -> None:
    """Give this process (and the subprocesses it starts) moto's dummy credentials."""
    os.environ.update(CREDENTIALS)


def flask_env(settings: dict[str, Any]) -> dict[str, str]:
    """The same settings as FLASK_* variables for a subprocess."""
    return {f"FLASK_{key}": str(value) for key, value in settings.items()}
