"""Benchmark: many small archives per second, and POST /api/archives under load against /healthz.

    .venv/bin/python bench/throughput.py [--users 135] [--clients 50] [--seconds 10]

Starts the production web command (gunicorn, 4 sync workers) and a Celery worker (concurrency
2) on a fresh PostgreSQL database, the local Redis (a queue of its own) and real HTTP. Every
user (25 notes, 3 files) logs in; then:
1. all users request an archive at once: archives per second, from the first request to the
   last success, and the time from request to start (p50, p99) read from the job rows;
2. --clients keep-alive clients send POST /api/archives for --seconds (the builds they cause
   run on the same machine), then the same clients send GET /healthz: both rates, and their
   ratio, from the same server and the same load generator.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import re
import secrets
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from common import BIN, ROOT, Workspace, workspace

PASSWORD = "a long benchmark password 42"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass(frozen=True)
class Visitor:
    """A logged-in user's cookies and CSRF token, ready for keep-alive requests."""

    cookie: str
    token: str


def seed(ws: Workspace, users: int) -> None:
    """Make the accounts in this process: one password hash, 25 notes and 3 files each."""
    os.environ.update(ws.env)
    from webapp import create_app
    from webapp.auth.models import User
    from webapp.auth.passwords import hash_password
    from webapp.extensions import db
    from webapp.notes.seed import seed_files, seed_notes

    app = create_app()
    with app.app_context():
        digest = hash_password(PASSWORD)
        for index in range(users):
            user = User(email=f"load{index}@example.com", password_hash=digest, display_name="L")
            db.session.add(user)
            db.session.flush()
            seed_notes(user.id, 25, "realistic")
            seed_files(user.id, 3, 64 * 1024)
        db.session.commit()


@contextmanager
def servers(ws: Workspace, port: int) -> Iterator[str]:
    """Run gunicorn and a Celery worker as production does; stop both afterwards."""
    queue = f"bench-{secrets.token_hex(4)}"
    env = dict(
        ws.env,
        FLASK_CELERY__broker_url=REDIS,
        FLASK_CELERY__result_backend=REDIS,
        FLASK_CELERY__task_default_queue=queue,
        FLASK_ARCHIVE_COOLDOWN="0",
    )
    logs = open(ws.folder / "servers.log", "wb")  # noqa: SIM115 (closed below)
    web = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "4"]
    worker = [str(BIN / "celery"), "-A", "make_celery", "worker", "--concurrency", "2"]
    processes = [
        subprocess.Popen([*web, "webapp:create_app()"], env=env, cwd=ROOT, stderr=logs),
        subprocess.Popen(
            [*worker, "-Q", queue, "--loglevel", "INFO"],
            env=env,
            cwd=ROOT,
            stderr=logs,
            stdout=logs,
        ),
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: b"ready." in (ws.folder / "servers.log").read_bytes())
        _wait_until(lambda: urllib.request.urlopen(base + "/healthz", timeout=2).status == 200)
        yield base
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        logs.close()


def _wait_until(ready: Callable[[], bool], seconds: float = 60) -> None:
    """Poll until ready() is true, or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("the servers did not start")


def log_in(base: str, email: str) -> Visitor:
    """Log in through the form as a browser does, and read the token pages carry."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def token(path: str) -> str:
        """The CSRF token of a page."""
        match = META.search(opener.open(base + path, timeout=60).read().decode())
        assert match, f"no csrf token on {path}"
        return match.group(1)

    form = {"email": email, "password": PASSWORD, "csrf_token": token("/auth/login")}
    opener.open(base + "/auth/login", urllib.parse.urlencode(form).encode(), timeout=60)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return Visitor(cookie, token("/notes"))


def _parallel(count: int, work: Callable[[int], None]) -> None:
    """Run work(0..count-1) on as many threads, started together."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _post(connection: http.client.HTTPConnection, visitor: Visitor) -> int:
    """Send POST /api/archives on a kept-alive connection; return the status."""
    headers = {"Cookie": visitor.cookie, "X-CSRFToken": visitor.token, "Content-Length": "0"}
    connection.request("POST", "/api/archives", headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def _get_health(connection: http.client.HTTPConnection, _: Visitor) -> int:
    """Send GET /healthz on a kept-alive connection; return the status."""
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    return response.status


def burst(base: str, visitors: list[Visitor], database: str) -> dict[str, float]:
    """Every user requests at once; figures come from the job rows when all have finished."""
    port = int(base.rsplit(":", 1)[1])
    statuses: list[int] = []
    _parallel(
        len(visitors),
        lambda i: statuses.append(
            _post(http.client.HTTPConnection("127.0.0.1", port, timeout=120), visitors[i])
        ),
    )
    assert all(status == 202 for status in statuses), statuses
    engine = sa.create_engine(database)
    query = sa.text(
        "SELECT count(*) FILTER (WHERE status NOT IN ('queued','running')), "
        "count(*) FILTER (WHERE status = 'succeeded') FROM archive_jobs"
    )
    with engine.connect() as conn:
        _wait_until(lambda: conn.execute(query).one()[0] == len(visitors), seconds=900)
        succeeded = conn.execute(query).one()[1]
        rows = conn.execute(
            sa.text(
                "SELECT extract(epoch FROM started_at - requested_at), requested_at, finished_at "
                "FROM archive_jobs WHERE status = 'succeeded'"
            )
        ).all()
    engine.dispose()
    waits = sorted(float(row[0]) for row in rows)
    span = (max(r[2] for r in rows) - min(r[1] for r in rows)).total_seconds()
    return {
        "archives": succeeded,
        "per_second": succeeded / span,
        "start_p50": waits[len(waits) // 2],
        "start_p99": waits[min(len(waits) - 1, int(len(waits) * 0.99))],
    }


def load(
    base: str,
    visitors: list[Visitor],
    seconds: float,
    send: Callable[[http.client.HTTPConnection, Visitor], int],
) -> dict[str, float]:
    """Each visitor sends requests back to back for `seconds`; return req/s and latencies."""
    port = int(base.rsplit(":", 1)[1])
    latencies: list[float] = []
    errors: list[int] = []
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        """One keep-alive client."""
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while (started := time.monotonic()) < deadline:
            status = send(connection, visitors[index])
            latencies.append(time.monotonic() - started)
            if status >= 500 or status in (401, 403):
                errors.append(status)
        connection.close()

    _parallel(len(visitors), client)
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": len(errors),
    }


def main() -> None:
    """Seed, start the servers, run both phases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=135)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--port", type=int, default=18000 + secrets.randbelow(1000))
    args = parser.parse_args()
    with workspace() as ws:
        seed(ws, args.users)
        with servers(ws, args.port) as base:
            visitors: list[Visitor] = [Visitor("", "")] * args.users
            _parallel(
                args.users, lambda i: visitors.__setitem__(i, log_in(base, f"load{i}@example.com"))
            )
            report_burst(args.users, burst(base, visitors, ws.database))
            report_load(base, visitors[: args.clients], args.seconds)


def report_burst(users: int, b: dict[str, float]) -> None:
    """Print the many-small-archives figures."""
    print(f"many small archives: {users} users at once (25 notes, 3 files each)")
    print("| archives | archives/s | request-to-start p50 s | p99 s |\n|---:|---:|---:|---:|")
    print(
        f"| {b['archives']:.0f} | {b['per_second']:.1f} | {b['start_p50']:.2f} | "
        f"{b['start_p99']:.2f} |",
        flush=True,
    )


def report_load(base: str, visitors: list[Visitor], seconds: float) -> None:
    """Alternate /healthz and POST runs (drift in the machine's speed hits both) and print."""
    runs: dict[str, list[dict[str, float]]] = {"post": [], "health": []}
    for _ in range(2):
        runs["health"].append(load(base, visitors, seconds, _get_health))
        runs["post"].append(load(base, visitors, seconds, _post))
    post = max(runs["post"], key=lambda r: r["rps"])
    health = max(runs["health"], key=lambda r: r["rps"])
    print(
        f"\nrequests under load: {len(visitors)} keep-alive clients, {seconds:.0f} s each, "
        "best of 2 alternating runs"
    )
    print("| request | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for name, r in (("GET /healthz", health), ("POST /api/archives", post)):
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.0f} | {r['p99']:.0f} | {r['errors']:.0f} |")
    medians = [statistics.median(r["rps"] for r in runs[k]) for k in ("post", "health")]
    print(
        f"\nPOST /api/archives / GET /healthz = {post['rps'] / health['rps']:.2f} "
        f"(medians {medians[0]:.0f} / {medians[1]:.0f} req/s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
