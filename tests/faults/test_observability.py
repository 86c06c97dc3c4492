"""Metrics and logs of a real journey: gunicorn workers, a prefork Celery worker and beat."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.conftest import BIN, Cluster
from tests.support.services import free_port, port_open
from tests.support.settings import ROOT, SECRET
from tests.support.web import HttpBrowser
from webapp.archives.attempts import ArchiveAttempt
from webapp.archives.models import ArchiveJob
from webapp.auth.accounts import create_user
from webapp.auth.models import ActivityEvent
from webapp.extensions import db
from webapp.notes.models import Attachment
from webapp.notes.seed import seed_files, seed_notes
from webapp.storage import UPLOADS, store
from webapp.storage.local import LocalStore

PASSWORD = "a long enough journey password"
TOKEN = "journey-metrics-token-0123456789abcdef"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def launch(cluster: Cluster, name: str, command: list[str], env: dict[str, str]) -> None:
    """Start a process with stdout and stderr in files of their own."""
    with (
        open(cluster.folder / f"{name}.out", "wb") as out,
        open(cluster.folder / f"{name}.log", "wb") as err,
    ):
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True
        )
    cluster.processes.append(process)


def start_everything(cluster: Cluster, prometheus: Path, worker_port: int) -> str:
    """Three gunicorn workers, a prefork worker of two children and beat, all logging JSON."""
    env = dict(
        cluster.env(),
        PROMETHEUS_MULTIPROC_DIR=str(prometheus),
        FLASK_LOG_FORMAT="json",
        FLASK_METRICS_TOKEN=TOKEN,
    )
    port = free_port()
    gunicorn = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "3"]
    gunicorn += ["--logger-class", "webapp.ops.gunicorn.JsonLogger", "webapp:create_app()"]
    launch(cluster, "web", gunicorn, env)
    celery = [str(BIN / "celery"), "--quiet", "-A", "make_celery"]
    worker = ["worker", "--pool", "prefork", "--concurrency", "2", "-n", "journey@%h"]
    worker_env = dict(env, FLASK_METRICS_PORT=str(worker_port))  # its own metrics server too
    launch(cluster, "worker", [*celery, *worker, "--loglevel", "INFO"], worker_env)
    schedule = str(cluster.folder / "beat-schedule")
    launch(cluster, "beat", [*celery, "beat", "--schedule", schedule, "--loglevel", "INFO"], env)
    deadline = time.monotonic() + 30
    while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.1)
    return f"http://127.0.0.1:{port}"


def seed(cluster: Cluster, email: str, admin: bool = False) -> int:
    """An account with a few notes and one stored file."""
    with cluster.app.app_context():
        user = create_user(email, PASSWORD, is_admin=admin)
        db.session.flush()
        seed_notes(user.id, 200)
        seed_files(user.id, 1, 8 * 1024)
        db.session.commit()
        return user.id


def upload_of(cluster: Cluster, user_id: int) -> Path:
    with cluster.app.app_context():
        key = db.session.scalar(
            sa.select(Attachment.storage_key).where(Attachment.user_id == user_id)
        )
        local = store()
        assert isinstance(local, LocalStore)
        return local.path(UPLOADS, str(key))


def visitor(base: str, email: str) -> HttpBrowser:
    browser = HttpBrowser(base)
    assert browser.login(email, PASSWORD).status == 302
    return browser


def request_archive(browser: HttpBrowser, request_id: str) -> str:
    headers = {"X-CSRFToken": browser.token("/notes"), "X-Request-ID": request_id}
    answer = browser.open("/api/archives", {}, headers)
    assert answer.status == 202, answer.text
    assert answer.headers["X-Request-ID"] == request_id
    return str(json.loads(answer.text)["id"])


def scrape(base: str, token: str | None = TOKEN) -> Samples:
    browser = HttpBrowser(base)
    if token:
        assert browser.open("/metrics").status == 401
    answer = browser.open("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def database_figures(cluster: Cluster) -> dict[str, Any]:
    """What the rows say the metrics must be."""
    with cluster.app.app_context():
        session = db.session
        statuses = dict(
            session.execute(
                sa.select(ArchiveJob.status, sa.func.count()).group_by(ArchiveJob.status)
            ).all()
        )
        failures = dict(
            session.execute(
                sa.select(ArchiveAttempt.error_code, sa.func.count())
                .where(ArchiveAttempt.outcome == "failed")
                .group_by(ArchiveAttempt.error_code)
            ).all()
        )
        count = sa.func.count()
        return {
            "statuses": statuses,
            "failures": failures,
            "builds": session.scalar(sa.select(count).where(ArchiveAttempt.outcome == "succeeded")),
            "bytes": session.scalar(
                sa.select(sa.func.sum(ArchiveJob.size)).where(ArchiveJob.status == "succeeded")
            ),
            "started": session.scalar(sa.select(count).where(ArchiveJob.started_at.is_not(None))),
            "downloads": session.scalar(
                sa.select(count).where(ActivityEvent.kind == "archive_downloaded")
            ),
        }


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a log file, each of which must be one JSON object."""
    text = path.read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_journey_is_counted_across_processes_and_followed_in_json_logs(
    cluster: Cluster,
) -> None:
    # Given web, worker and beat sharing one metrics folder, and four users with a file each
    prometheus = cluster.folder / "prometheus"
    prometheus.mkdir()
    worker_port = free_port()
    base = start_everything(cluster, prometheus, worker_port)
    users = {name: seed(cluster, f"{name}@example.com") for name in "abcd"}
    seed(cluster, "admin@example.com", admin=True)
    kept = cluster.folder / "kept-upload"
    shutil.copy(upload_of(cluster, users["d"]), kept)
    for name in "cd":  # their stored file disappears: those builds fail with file_missing
        upload_of(cluster, users[name]).unlink()

    # When each asks for an archive, with a request id of their own
    browsers = {name: visitor(base, f"{name}@example.com") for name in "abcd"}
    jobs = {name: request_archive(browsers[name], f"journey-{name}") for name in "abcd"}
    for name in "ab":
        cluster.wait(jobs[name], lambda j: j.status == "succeeded", what="success")
    for name in "cd":
        failed = cluster.wait(jobs[name], lambda j: j.status == "failed", what="failure")
        assert failed.error_code == "file_missing"
    # and an admin retries d's job once the file is back, and a downloads theirs
    shutil.copy(kept, upload_of(cluster, users["d"]))
    admin = visitor(base, "admin@example.com")
    retried = admin.post_form(
        "/admin/archives/retry",
        {"job_id": jobs["d"]},
        page="/admin",
        headers={"X-Request-ID": "journey-admin-retry"},
    )
    assert retried.status == 302
    cluster.wait(jobs["d"], lambda j: j.status == "succeeded" and j.attempts == 1, what="retry")
    download = browsers["a"].opener.open(f"{base}/api/archives/{jobs['a']}/download", timeout=30)
    assert download.status == 200 and download.read(2) == b"PK"
    download.close()
    for _ in range(12):
        assert HttpBrowser(base).open("/healthz").status == 200

    # Then every scrape, whichever gunicorn worker answers, equals the database
    expected = database_figures(cluster)
    assert expected["statuses"] == {"succeeded": 3, "failed": 1}
    assert expected["failures"] == {"file_missing": 2} and expected["builds"] == 3
    seen: list[float] = []  # a ping answers within 0.5 s: a busy moment may miss one scrape
    for _ in range(4):
        found = scrape(base)
        for status in ("queued", "running", "succeeded", "failed", "cancelled", "expired"):
            wanted = expected["statuses"].get(status, 0)
            assert found[("keepsake_archive_jobs", (("status", status),))] == wanted, status
        assert found[("keepsake_archive_failures_total", (("error_code", "file_missing"),))] == 2
        assert found[("keepsake_archive_build_seconds_count", ())] == expected["builds"]
        assert found[("keepsake_archive_bytes_total", ())] == expected["bytes"]
        assert found[("keepsake_archive_queue_wait_seconds_count", ())] == expected["started"]
        assert found[("keepsake_archive_downloads_total", ())] == expected["downloads"] == 1
        seen.append(found[("keepsake_workers_seen", ())])
        healthz = (("endpoint", "health.healthz"), ("method", "GET"), ("status", "200"))
        assert found[("keepsake_http_request_duration_seconds_count", healthz)] == 12
        created = (("endpoint", "archives_api.create"), ("method", "POST"), ("status", "202"))
        assert found[("keepsake_http_request_duration_seconds_count", created)] == 4
    assert max(seen) == 1, seen  # the one prefork worker answered
    from_worker = scrape(f"http://127.0.0.1:{worker_port}", token=None)
    assert from_worker[("keepsake_archive_build_seconds_count", ())] == expected["builds"]
    pids = {path.stem.rsplit("_", 1)[-1] for path in prometheus.glob("*.db")}
    assert len(pids) >= 3, pids  # several gunicorn workers and pool children wrote figures

    # And every log line of web, worker and beat is one JSON object, none with a secret
    logs = {name: json_lines(cluster.folder / f"{name}.log") for name in ("web", "worker", "beat")}
    for name in ("web", "worker", "beat"):
        assert logs[name], name
        assert (cluster.folder / f"{name}.out").read_text() == "", name
        raw = (cluster.folder / f"{name}.log").read_text()
        assert PASSWORD not in raw and TOKEN not in raw and SECRET not in raw
    job_lines = [
        line
        for line in logs["worker"]
        if line.get("logger", "").startswith("webapp.")
        and "job" in line["event"].lower()
        or line.get("logger") == "webapp.archives.attempts"
    ]
    assert job_lines and all({"job_id", "user_id", "attempt"} <= line.keys() for line in job_lines)
    for name in "abcd":
        mine = [line for line in logs["worker"] if line.get("job_id") == jobs[name]]
        assert any(line["event"] == "attempt started" for line in mine), name
        first = [line for line in mine if line.get("request_id") == f"journey-{name}"]
        assert first, f"request id of {name} not in the worker's lines"
    retry_lines = [line for line in logs["worker"] if line.get("job_id") == jobs["d"]]
    assert any(line.get("request_id") == "journey-admin-retry" for line in retry_lines)
    clicks = [line for line in logs["web"] if line.get("request_id") == "journey-a"]
    assert any(line.get("endpoint") == "archives_api.create" for line in clicks)
