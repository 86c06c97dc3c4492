"""Fifty users, 500 concurrent requests, a real HTTP server: no 5xx, one active job each."""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from tests.faults.checks import active_jobs_per_user_above_one
from tests.faults.conftest import BIN, Cluster, count
from tests.support.services import free_port, port_open
from tests.support.settings import ROOT
from tests.support.web import HttpBrowser
from webapp.archives.models import ArchiveJob
from webapp.auth.accounts import create_user
from webapp.extensions import db

USERS, REQUESTS = 50, 500
PASSWORD = "a long enough password"


def logged_in(base: str, email: str) -> tuple[HttpBrowser, str]:
    """A visitor who has logged in, with the CSRF token unsafe API calls need."""
    browser = HttpBrowser(base)
    answer = browser.login(email, PASSWORD)
    assert answer.headers["Location"] == "/notes", (answer.status, answer.text[:2000])
    return browser, browser.token("/notes")


def request_archive(visitor: tuple[HttpBrowser, str]) -> int:
    """POST /api/archives as that visitor; return the status code."""
    browser, token = visitor
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    return browser.open("/api/archives", {}, headers).status


def test_fifty_users_five_hundred_concurrent_requests(cluster: Cluster) -> None:
    # Given a gunicorn server, two workers and beat, and fifty accounts with some data
    with cluster.app.app_context():
        for i in range(USERS):
            create_user(f"load{i}@example.com", PASSWORD)
        db.session.commit()
    port = free_port()
    with open(cluster.folder / "gunicorn.log", "wb") as log:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "4",
                "--threads",
                "4",
                "webapp:create_app()",
            ],
            cwd=ROOT,
            env=cluster.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    cluster.processes.append(server)
    cluster.worker(concurrency=2)
    cluster.worker(concurrency=2)
    cluster.beat()
    deadline = time.monotonic() + 30
    while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.1)
    base = f"http://127.0.0.1:{port}"
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        visitors = list(pool.map(lambda i: logged_in(base, f"load{i}@example.com"), range(USERS)))

    # A monitor checks the invariant the whole time
    violations: list[int] = []
    stop = threading.Event()

    def monitor() -> None:
        while not stop.is_set():
            violations.append(active_jobs_per_user_above_one(cluster))
            time.sleep(0.05)

    watcher = threading.Thread(target=monitor)
    watcher.start()
    try:
        # When they send five hundred requests at once
        with ThreadPoolExecutor(max_workers=100) as pool:
            codes = list(pool.map(lambda i: request_archive(visitors[i % USERS]), range(REQUESTS)))
        # Then nothing failed, and every job completes
        assert not [code for code in codes if code >= 500], cluster.logs()
        assert set(codes) <= {200, 202}, sorted(set(codes))
        unfinished = sa.select(sa.func.count()).where(ArchiveJob.status.in_(("queued", "running")))
        deadline = time.monotonic() + 180
        while count(cluster.app, unfinished) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop.set()
        watcher.join()
    assert count(cluster.app, unfinished) == 0, cluster.logs()
    assert max(violations) == 0
    succeeded = sa.select(sa.func.count()).where(ArchiveJob.status == "succeeded")
    assert count(cluster.app, succeeded) == codes.count(202) >= USERS
    users_with_jobs = sa.select(sa.func.count(sa.distinct(ArchiveJob.user_id)))
    assert count(cluster.app, users_with_jobs) == USERS
