"""The production web command (compose.yaml's) against slow clients, as a subprocess.

Long downloads throttled to about 1 MB/s arrive byte-exact on both backends, and while eight
run, the site still answers within half a second; four clients that trickle their request
bodies cannot starve it either; what gunicorn refuses on its own is JSON.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import yaml

from dev.embedded_redis import free_port
from tests.faults.conftest import BIN, Cluster
from tests.support.http import PASSWORD
from tests.support.s3 import S3Process, use_test_credentials
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


def slowest_answer(base: str, seconds: float, pause: float = 0.2) -> float:
    """Time /healthz and the login page every `pause` seconds; return the slowest answer."""
    slowest, deadline = 0.0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in ("/healthz", "/auth/login"):
            started = time.monotonic()
            with urllib.request.urlopen(base + path, timeout=10) as response:
                response.read()
                assert response.status == 200
            slowest = max(slowest, time.monotonic() - started)
        time.sleep(pause)
    return slowest


def connections(base: str, count: int, sent: bytes) -> list[socket.socket]:
    """Open `count` raw connections to the server, each having sent `sent`."""
    host, port = base.removeprefix("http://").split(":")
    opened = []
    for _ in range(count):
        client = socket.create_connection((host, int(port)))
        client.sendall(sent)
        opened.append(client)
    return opened


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
def backend_cluster(request: pytest.FixtureRequest, cluster: Cluster) -> Iterator[Cluster]:
    """The same test on each backend; on s3, moto runs in its own process, like a real store."""
    if request.param == "local":
        yield cluster
        return
    use_test_credentials()
    store = S3Process(cluster.folder / "moto.log")
    try:
        cluster.settings.update(store.settings(store.new_bucket()))
        cluster.app = cluster.make_app()
        yield cluster
    finally:
        store.stop()


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
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.jar)

    # When eight clients download it at about 1 MB/s each (from a process of their own)
    url = f"{base}/api/archives/{job_id}/download"
    clients = subprocess.Popen(
        [sys.executable, "-m", "tests.support.throttled_downloads", url, cookie]
        + [str(DOWNLOADS), str(RATE)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    cluster.processes.append(clients)  # type: ignore[arg-type]
    assert clients.stdout is not None
    with clients.stdout:  # closed whatever the assertions find
        assert clients.stdout.readline().strip() == "started"

        # Then the site answers within half a second the whole time they run
        slowest = 0.0
        while clients.poll() is None:
            # Every two seconds: enough to see starvation (the old sync workers did not answer
            # in 20 s), not so often that a loaded CI machine's scheduling hiccups dominate.
            slowest = max(slowest, slowest_answer(base, 2.0, pause=2.0))
        assert slowest < ANSWER_WITHIN, f"slowest answer {slowest:.2f}s\n{cluster.logs()}"

        # And every download arrived whole, byte for byte
        results = json.loads(clients.stdout.read())
    assert len(results) == DOWNLOADS
    for download in results:
        assert "error" not in download, f"{download}\n{cluster.logs()}"
        assert (download["received"], download["sha256"]) == (job.size, job.sha256)


def test_four_clients_trickling_request_bodies_do_not_starve_the_site(cluster: Cluster) -> None:
    # Given the production web command
    base = production_web(cluster)

    # When four clients announce a 100 kB login and send it a byte a second
    clients = connections(
        base,
        4,
        b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n",
    )
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


def test_clients_that_keep_their_end_open_do_not_stall_the_site(cluster: Cluster) -> None:
    # Given the production web command
    base = production_web(cluster)

    # When sixteen clients are answered and keep their end open, as a download's client does
    # while it still reads the last megabytes in flight
    clients = connections(
        base, 16, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    try:
        # Then /healthz and the login page still answer within half a second
        slowest = slowest_answer(base, 3.0)
    finally:
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
