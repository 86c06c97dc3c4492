"""Real processes to break: celery workers and beat as subprocesses, a private Redis per test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.support.migrations import migrate
from tests.support.s3 import S3Server, use_test_credentials
from tests.support.services import RedisServer
from tests.support.settings import ROOT, SECRET
from webapp import create_app
from webapp.archives.models import ArchiveJob
from webapp.extensions import db

BIN = Path(sys.executable).parent
FAST = {  # short leases and intervals so recovery happens in seconds
    "ARCHIVE_LEASE_SECONDS": 3,
    "ARCHIVE_SWEEP_INTERVAL": 1,
    "ARCHIVE_QUEUED_GRACE": 2,
    "ARCHIVE_MAX_ATTEMPTS": 3,
    "ARCHIVE_COOLDOWN": 0,
}


class Cluster:
    """One test's Keepsake: a database, a private Redis, and worker/beat processes on demand."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.database_url = database_url
        self.folder = folder
        self.redis = RedisServer()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.extra_redis: list[RedisServer] = []
        self.settings: dict[str, Any] = dict(FAST)
        self.apps: list[Flask] = []
        self.bucket = ""  # set on the s3 backend
        self.app = self.make_app()

    @property
    def archive_dir(self) -> Path:
        return self.folder / "archives"

    def env(self, broker_url: str | None = None, folder: Path | None = None) -> dict[str, str]:
        """The environment a deployment would set: FLASK_* variables only.

        A process given its own folder is another host: it shares no files with the rest.
        """
        url = broker_url or self.redis.url
        folder = folder or self.folder
        env = dict(
            os.environ,
            FLASK_SECRET_KEY=SECRET,
            FLASK_SQLALCHEMY_DATABASE_URI=self.database_url,
            FLASK_UPLOAD_DIR=str(folder / "uploads"),
            FLASK_ARCHIVE_DIR=str(folder / "archives"),
            FLASK_CELERY__broker_url=url,
            FLASK_CELERY__result_backend=url,
        )
        env.update({f"FLASK_{key}": str(value) for key, value in self.settings.items()})
        return env

    def make_app(self, broker_url: str | None = None) -> Flask:
        """An in-process app (for requests and checks) configured like the subprocesses."""
        url = broker_url or self.redis.url
        app = create_app(
            {
                "SECRET_KEY": SECRET,
                "SQLALCHEMY_DATABASE_URI": self.database_url,
                "UPLOAD_DIR": str(self.folder / "uploads"),
                "ARCHIVE_DIR": str(self.archive_dir),
                "CELERY": {"broker_url": url, "result_backend": url},
                **self.settings,
            }
        )
        self.apps.append(app)
        return app

    def start(
        self, *args: str, broker_url: str | None = None, folder: Path | None = None, **popen: Any
    ) -> subprocess.Popen[bytes]:
        """Start `celery -A make_celery ...` in its own process group, logging to a file."""
        log = open(self.folder / f"{args[0]}-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [str(BIN / "celery"), "-A", "make_celery", *args, "--loglevel", "INFO"],
            cwd=ROOT,
            env=self.env(broker_url, folder),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **popen,
        )
        log.close()
        self.processes.append(process)
        return process

    def worker(
        self,
        concurrency: int = 1,
        broker_url: str | None = None,
        folder: Path | None = None,
        queues: str | None = None,
        **popen: Any,
    ) -> subprocess.Popen[bytes]:
        name = f"w{len(self.processes)}-{uuid.uuid4().hex[:6]}@%h"
        options = ["--queues", queues] if queues else []
        options += [
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "-n",
            name,
            "--without-mingle",
            "--without-gossip",
        ]
        return self.start("worker", *options, broker_url=broker_url, folder=folder, **popen)

    def beat(self, broker_url: str | None = None) -> subprocess.Popen[bytes]:
        schedule = str(self.folder / f"beat-{uuid.uuid4().hex}")
        return self.start("beat", "--schedule", schedule, broker_url=broker_url)

    def job(self, job_id: str) -> ArchiveJob:
        with self.app.app_context():
            job = db.session.get(ArchiveJob, uuid.UUID(job_id))
            assert job is not None
            db.session.expunge(job)
            return job

    def wait(
        self,
        job_id: str,
        check: Callable[[ArchiveJob], bool],
        timeout: float = 90,
        what: str = "condition",
    ) -> ArchiveJob:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if check(job):
                return job
            time.sleep(0.1)
        raise AssertionError(
            f"job {job_id}: {what} not reached in {timeout}s; last {job.status}"
            f" attempts={job.attempts} phase={job.phase}\n{self.logs()}"
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.folder.glob("*.log"))
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for server in [self.redis, *self.extra_redis]:
            server.stop()
        for app in self.apps:  # close pooled connections, or PostgreSQL runs out of slots
            with app.app_context():
                db.engine.dispose()


@pytest.fixture
def cluster(make_database: Callable[[], str], tmp_path: Path) -> Iterator[Cluster]:
    url = make_database()
    migrate(url)
    running = Cluster(url, tmp_path)
    yield running
    running.stop()


def count(app: Flask, query: sa.Select[Any]) -> int:
    with app.app_context():
        return int(db.session.scalar(query) or 0)


@pytest.fixture
def store_server() -> Iterator[S3Server]:
    """This test's own S3 server, so stopping it disturbs no other test."""
    use_test_credentials()
    server = S3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_cluster(cluster: Cluster, store_server: S3Server) -> Cluster:
    """A cluster on the s3 backend: every process reaches uploads and archives over HTTP."""
    cluster.bucket = store_server.new_bucket()
    cluster.settings.update(store_server.settings(cluster.bucket))
    cluster.app = cluster.make_app()
    return cluster
