"""The load generator's side of bench/throughput.py: logged-in users and timed requests."""

from __future__ import annotations

import http.client
import http.cookiejar
import re
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

PASSWORD = "a long benchmark password 42"
META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass(frozen=True)
class Visitor:
    """A logged-in user's cookies and CSRF token, ready for keep-alive requests."""

    cookie: str
    token: str


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
    api_token = token("/notes")  # may set the session cookie: read the jar after it
    return Visitor("; ".join(f"{c.name}={c.value}" for c in jar), api_token)


def log_everyone_in(base: str, users: int, threads: int = 8) -> list[Visitor]:
    """Log every user in, a few at a time (Argon2 is slow on purpose), retrying a failure."""
    visitors: list[Visitor] = [Visitor("", "")] * users

    def worker(first: int) -> None:
        """Log in users first, first + threads, ..."""
        for index in range(first, users, threads):
            for attempt in range(3):
                try:
                    visitors[index] = log_in(base, f"load{index}@example.com")
                    break
                except OSError:
                    if attempt == 2:
                        raise

    parallel(threads, worker)
    assert all(v.cookie for v in visitors), "some users could not log in"
    return visitors


def parallel(count: int, work: Callable[[int], None]) -> None:
    """Run work(0..count-1) on as many threads, started together."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def post(connection: http.client.HTTPConnection, visitor: Visitor) -> int:
    """Send POST /api/archives on a kept-alive connection; return the status."""
    headers = {"Cookie": visitor.cookie, "X-CSRFToken": visitor.token, "Content-Length": "0"}
    connection.request("POST", "/api/archives", headers=headers)
    response = connection.getresponse()
    body = response.read()
    if response.status == 400:
        raise RuntimeError(f"POST /api/archives refused: {body[:300]!r}")
    return response.status


def get_health(connection: http.client.HTTPConnection, _: Visitor) -> int:
    """Send GET /healthz on a kept-alive connection; return the status."""
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    return response.status


def load(
    base: str,
    visitors: list[Visitor],
    seconds: float,
    send: Callable[[http.client.HTTPConnection, Visitor], int],
) -> dict[str, float]:
    """Each visitor sends requests back to back for `seconds`; return req/s, latencies, statuses."""
    port = int(base.rsplit(":", 1)[1])
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        """One keep-alive client."""
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while (started := time.monotonic()) < deadline:
            status = send(connection, visitors[index])
            latencies.append(time.monotonic() - started)
            statuses[status] += 1
        connection.close()

    parallel(len(visitors), client)
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": sum(n for status, n in statuses.items() if status >= 500 or status in (401, 403)),
        **{f"status {status}": n for status, n in statuses.items()},
    }
