"""A real S3-protocol server for the tests: moto's threaded server on a loopback port.

Production code talks to it over HTTP exactly as it would to S3; nothing is patched. A test
may stop it (the port then refuses connections, as a dead store does), start it again on the
same port, or have it stop itself when a chosen request arrives.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
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
from tests.support.services import port_open

Environ = dict[str, Any]
# moto accepts any credentials; the standard variables are how every process finds them.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class S3Endpoint:
    """What a test does with an S3 server: make buckets, list keys, configure the app."""

    url = ""

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", **_credentials())

    def new_bucket(self) -> str:
        name = f"keepsake-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        listing = self.client().get_paginator("list_objects_v2")
        pages = listing.paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def settings(self, bucket: str) -> dict[str, Any]:
        """Flask settings of the s3 backend on this server."""
        return {"STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.url}


class S3Server(ThreadedMotoServer, S3Endpoint):
    """moto's S3 that can die like a real store: refusing connections, even mid-upload."""

    def __init__(self, port: int | None = None) -> None:
        super().__init__("127.0.0.1", port or free_port(), verbose=False)
        self.url = f"http://127.0.0.1:{self._port}"
        self.stop_when: Callable[[Environ], bool] | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        handler = MotoRequestHandler
        self._server = make_server(
            self._ip_address, self._port, self._faulty(app), True, request_handler=handler
        )
        self._server_ready_event.set()
        self._server.serve_forever()

    def _faulty(self, app: Any) -> Callable[[Environ, Any], Iterable[bytes]]:
        def serve(environ: Environ, start_response: Any) -> Iterable[bytes]:
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


class S3Process(S3Endpoint):
    """moto's server in its own process, for tests whose own process must stay quiet."""

    def __init__(self, log: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "moto_server"),
                    "-H",
                    "127.0.0.1",
                    "-p",
                    str(port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def _credentials() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def use_test_credentials() -> None:
    """Give this process (and the subprocesses it starts) moto's dummy credentials."""
    os.environ.update(CREDENTIALS)


def flask_env(settings: dict[str, Any]) -> dict[str, str]:
    """The same settings as FLASK_* variables for a subprocess."""
    return {f"FLASK_{key}": str(value) for key, value in settings.items()}
