"""The production web command (compose.yaml's) against slow clients, as a subprocess.

Long downloads throttled to about 1 MB/s arrive byte-exact on both backends, and while eight
run, the site still answers within half a second; four clients that trickle their request
bodies cannot starve it either; what gunicorn refuses on its own is JSON.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import yaml

from dev.embedded_redis import free_port
from tests.faults.conftest import BIN, Cluster
from tests.support.http import PASSWORD
from tests.support.services import port_open
from tests.support.settings import ROOT
from tests.support.web import HttpBrowser
from webapp.auth.accounts import create_user
from webapp.extensions import db
from webapp.notes.seed import seed_files

MIB = 1024 * 1024
RATE = 1_000_000  # bytes per second per download, a home connection
DOWNLOADS = 8
ANSWER_WITHIN = 0.5
WEB_WORKERS = 4


def production_web(cluster: Cluster) -> str:
    """Start compose.yaml's web command on a loopback port; return its base URL."""
    command = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["web"]["command"]
    port = free_port()
    with open(cluster.folder / "web.log", "wb") as log:
        server = subprocess.Popen(
            [str(BIN / command[0]), *command[1:], "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=cluster.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    cluster.processes.append(server)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.1)
    # The port opens before the workers have loaded the app: wait for each to answer once.
    for _ in range(WEB_WORKERS * 2):
        with urllib.request.urlopen(base + "/healthz", timeout=60) as response:
            assert response.status == 200
    return base


@dataclass
class Download:
    """One throttled download, watched by the test while it runs."""

    received: int = 0
    digest: object = field(default_factory=hashlib.sha256)
    error: BaseException | None = None

    def run(self, browser: HttpBrowser, path: str) -> None:
        try:
            with self._open(browser, path) as response:
                start = time.monotonic()
                while chunk := response.read(64 * 1024):
                    self.digest.update(chunk)  # type: ignore[attr-defined]
                    self.received += len(chunk)
                    ahead = self.received / RATE - (time.monotonic() - start)
                    if ahead > 0:
                        time.sleep(ahead)
        except BaseException as exc:  # reported by the test, not swallowed
            self.error = exc

    @staticmethod
    def _open(browser: HttpBrowser, path: str) -> urllib.response.addinfourl:
        try:
            return browser.opener.open(browser.base + path, timeout=60)
        except urllib.error.HTTPError as redirect:
            # On s3 the app authorises and redirects; the store sends the bytes.
            redirect.close()
            assert redirect.code == 302, redirect.code
            return urllib.request.urlopen(redirect.headers["Location"], timeout=60)


def slowest_answer(base: str, seconds: float) -> float:
    """Time /healthz and the login page over and over; return the slowest answer."""
    slowest, deadline = 0.0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in ("/healthz", "/auth/login"):
            started = time.monotonic()
            with urllib.request.urlopen(base + path, timeout=10) as response:
                response.read()
                assert response.status == 200
            slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.2)
    return slowest


def big_archive(cluster: Cluster, email: str) -> str:
    """An account whose archive is over 50 MB (13 incompressible 4 MiB photos), built."""
    with cluster.app.app_context():
        user = create_user(email, PASSWORD)
        db.session.flush()
        seed_files(user.id, 25, 4 * MIB)
        db.session.commit()
    result = cluster.app.test_cli_runner().invoke(args=["archives", "build", email])
    assert result.exit_code == 0, result.output
    return result.output.split("succeeded: ")[1].split()[0]


@pytest.fixture(params=["local", "s3"])
def backend_cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """The same test on each storage backend."""
    yield request.getfixturevalue("s3_cluster" if request.param == "s3" else "cluster")


def test_eight_long_throttled_downloads_arrive_whole_while_the_site_answers(
    backend_cluster: Cluster,
) -> None:
    # Given the production web command and an archive of over 50 MB
    cluster = backend_cluster
    job_id = big_archive(cluster, "long@example.com")
    job = cluster.job(job_id)
    assert job.size is not None and job.size > 50 * 1_000_000
    base = production_web(cluster)
    browser = HttpBrowser(base)
    assert browser.login("long@example.com", PASSWORD).status == 302

    # When eight clients download it at about 1 MB/s each
    downloads = [Download() for _ in range(DOWNLOADS)]
    threads = [
        threading.Thread(target=d.run, args=(browser, f"/api/archives/{job_id}/download"))
        for d in downloads
    ]
    for thread in threads:
        thread.start()
    while not all(d.received > MIB or d.error for d in downloads):
        time.sleep(0.1)

    # Then the site answers within half a second the whole time they run
    slowest = 0.0
    while any(thread.is_alive() for thread in threads):
        slowest = max(slowest, slowest_answer(base, 2.0))
    for thread in threads:
        thread.join()
    assert slowest < ANSWER_WITHIN, f"slowest answer {slowest:.2f}s\n{cluster.logs()}"

    # And every download arrived whole, byte for byte
    for download in downloads:
        assert download.error is None, f"{download.error!r}\n{cluster.logs()}"
        assert download.received == job.size
        assert download.digest.hexdigest() == job.sha256  # type: ignore[attr-defined]


def test_four_clients_trickling_request_bodies_do_not_starve_the_site(cluster: Cluster) -> None:
    # Given the production web command
    base = production_web(cluster)
    host, port = base.removeprefix("http://").split(":")

    # When four clients announce a 100 kB login and send it a byte a second
    clients = []
    for _ in range(4):
        client = socket.create_connection((host, int(port)))
        client.sendall(
            b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        )
        clients.append(client)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(1.0):
            for client in clients:
                client.sendall(b"a")

    trickler = threading.Thread(target=trickle)
    trickler.start()
    try:
        # Then /healthz and the login page still answer within half a second
        slowest = slowest_answer(base, 6.0)
    finally:
        stop.set()
        trickler.join()
        for client in clients:
            client.close()
    assert slowest < ANSWER_WITHIN, f"slowest answer {slowest:.2f}s\n{cluster.logs()}"


def test_what_the_web_server_refuses_itself_is_json(cluster: Cluster) -> None:
    # Given the production web command
    base = production_web(cluster)

    # A 5,000-character id under /api reaches the app and is a JSON 404
    status, body = raw_get(base, "/api/archives/" + "a" * 5000)
    assert (status, body["error"]) == (404, "not_found")

    # A request line longer than gunicorn accepts is a JSON 414, not gunicorn's HTML page
    status, body = raw_get(base, "/api/" + "a" * 9000)
    assert (status, body["error"]) == (414, "uri_too_long")

    # And so is a header line that is too large (431)
    status, body = raw_get(base, "/api/archives", {"X-Big": "b" * 9000})
    assert (status, body["error"]) == (431, "headers_too_large")


def raw_get(
    base: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(
        base + path, headers={"Accept": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            assert error.headers["Content-Type"].startswith("application/json")
            return error.code, json.loads(error.read())
