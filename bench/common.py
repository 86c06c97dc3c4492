"""What every benchmark shares: a fresh PostgreSQL database, the CLI, and a build in a child."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Workspace:
    """A migrated database of its own and folders for uploads and archives."""

    database: str
    folder: Path
    env: dict[str, str]

    def flask(self, *args: str) -> str:
        """Run a `flask` command of the app against this workspace; return what it printed."""
        done = subprocess.run(
            [str(BIN / "flask"), *args], env=self.env, cwd=ROOT, check=True, capture_output=True
        )
        return done.stdout.decode()

    def build(self, email: str) -> dict[str, float]:
        """Build the account's archive in a fresh worker-like process and return its figures."""
        done = subprocess.run(
            [sys.executable, str(Path(__file__)), email],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@contextmanager
def s3_server(folder: Path) -> Iterator[dict[str, str]]:
    """Run moto's S3 server on a loopback port with a bucket; yield the app's settings for it."""
    import boto3

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with open(folder / "moto.log", "wb") as log:
        server = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
        client = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                client.create_bucket(Bucket="keepsake-bench")
                break
            except Exception:  # noqa: BLE001 (not listening yet)
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield {
            **credentials,
            "FLASK_STORAGE_BACKEND": "s3",
            "FLASK_S3_BUCKET": "keepsake-bench",
            "FLASK_S3_ENDPOINT_URL": url,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextmanager
def workspace(backend: str = "local") -> Iterator[Workspace]:
    """Create a database on the benchmark server, migrate it, and drop it afterwards.

    backend "s3" stores uploads and archives in moto's S3 server on a loopback port.
    """
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    name = f"keepsake_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database = str(sa.make_url(SERVER).set(database=name).render_as_string(hide_password=False))
    folder = Path(tempfile.mkdtemp(prefix="keepsake-bench-"))
    env = dict(
        os.environ,
        FLASK_SQLALCHEMY_DATABASE_URI=database,
        FLASK_SECRET_KEY=secrets.token_hex(32),
        FLASK_UPLOAD_DIR=str(folder / "uploads"),
        FLASK_ARCHIVE_DIR=str(folder / "archives"),
        FLASK_APP="webapp",
    )
    try:
        with ExitStack() as stack:
            if backend == "s3":
                env.update(stack.enter_context(s3_server(folder)))
            alembic = [str(BIN / "alembic"), "upgrade", "head"]
            subprocess.run(alembic, env=env, cwd=ROOT, check=True, capture_output=True)
            yield Workspace(database, folder, env)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def peak_rss_mib() -> float:
    """This process's peak resident set size (VmHWM) in MiB, read from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _child(email: str) -> None:
    """Build one archive in this process as a worker does, and print its figures as JSON.

    `seconds` is the whole attempt (write, check, publish); `publish` the part of it spent
    handing the finished file to the store (a rename on local, an upload on s3).
    """
    sys.path.insert(0, str(ROOT))
    from webapp import create_app
    from webapp.archives import actions, runner, storage, transitions
    from webapp.auth.accounts import find_user
    from webapp.extensions import db
    from webapp.storage import ARCHIVES, store

    publishing = [0.0]
    publish = storage.publish

    def timed_publish(*args: Any) -> None:
        """Publish as the runner does, timing it."""
        started = time.perf_counter()
        publish(*args)
        publishing[0] += time.perf_counter() - started

    storage.publish = timed_publish
    app = create_app()
    with app.app_context():
        user = find_user(email)
        assert user is not None
        job, _ = actions.request_archive(user.id, ignore_cooldown=True, enqueue_message=False)
        claim = transitions.claim(user.id, 600)
        assert claim is not None
        rss_start = peak_rss_mib()
        started = time.perf_counter()
        outcome = runner.execute(claim, user)
        seconds = time.perf_counter() - started
        db.session.refresh(job)
        with tempfile.TemporaryFile() as copy:
            with store().open(ARCHIVES, job.storage_key or "") as stored:
                shutil.copyfileobj(stored, copy, 1024 * 1024)
            with zipfile.ZipFile(copy) as archive:
                raw = sum(info.file_size for info in archive.infolist())
                page = len(archive.read("index.html"))
        figures = {"seconds": seconds, "publish": publishing[0], "size": job.size, "raw": raw}
        rss = {"rss_start": rss_start, "rss_peak": peak_rss_mib(), "user_id": user.id}
        print(json.dumps({"outcome": outcome, "index_html": page, **figures, **rss}))


if __name__ == "__main__":
    _child(sys.argv[1])
