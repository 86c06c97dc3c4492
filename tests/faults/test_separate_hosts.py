"""Web and worker on different hosts: nothing shared but PostgreSQL, Redis and the object store."""

from __future__ import annotations

import hashlib
import io
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.faults.conftest import Cluster
from tests.support.http import api, csrf_token, sign_up
from tests.support.s3 import S3Server
from webapp.archives import sweeper
from webapp.archives.models import ArchiveJob
from webapp.archives.verify import verify_archive
from webapp.auth.accounts import find_user
from webapp.extensions import db
from webapp.notes.seed import seed_notes
from webapp.types import utcnow

# Below the test client's 500 KiB threshold: above it, it spools the body to a file it never
# closes. Big uploads are exercised over real HTTP in test_long_transfers.py.
PHOTO = bytes(range(256)) * 1600


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def upload(client: FlaskClient, name: str, data: bytes) -> None:
    token = csrf_token(client, "/files")
    response = client.post(
        "/files",
        data={"file": (io.BytesIO(data), name), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def request_job(client: FlaskClient) -> str:
    response = api(client, "POST", "/api/archives")
    assert response.status_code == 202, response.json
    return str(response.json["id"])


def test_upload_build_download_cancel_delete_and_purge_across_unshared_hosts(
    s3_cluster: Cluster, store_server: S3Server, tmp_path: Path
) -> None:
    # Given a web host (folder A) and a worker host (folder B) sharing no folder
    cluster, web_folder, worker_folder = s3_cluster, s3_cluster.folder, tmp_path / "worker-host"
    store = store_server
    cluster.worker(folder=worker_folder)
    client = cluster.app.test_client()
    sign_up(client, "hosts@example.com")
    with cluster.app.app_context():
        user = find_user("hosts@example.com")
        assert user is not None
        seed_notes(user.id, 300_000)  # a build of a few seconds, so its progress shows
        db.session.commit()

    # When the user uploads a file on the web host
    upload(client, "holiday photo.jpg", PHOTO)
    uploads = store.keys(cluster.bucket, "uploads/")
    assert len(uploads) == 1
    assert files_in(web_folder / "uploads") == []

    # And requests an archive, which the worker builds while the page polls its progress
    job_id = request_job(client)
    seen: set[tuple[str, int]] = set()

    def done(job: ArchiveJob) -> bool:
        shown = api(client, "GET", f"/api/archives/{job_id}").json
        seen.add((shown["status"], shown["progress"]))
        return bool(shown["ready"])

    cluster.wait(job_id, done, timeout=120, what="built")
    job = cluster.job(job_id)
    assert job.status == "succeeded", cluster.logs()
    assert any(status == "running" and 0 < progress < 100 for status, progress in seen), seen

    # Then the download is a redirect to a short-lived URL on the store, which serves Range
    answer = api(client, "GET", f"/api/archives/{job_id}/download")
    assert answer.status_code == 302
    url = answer.headers["Location"]
    assert url.startswith(cluster.settings["S3_ENDPOINT_URL"]) and "X-Amz-Expires=60" in url
    status, headers, head = fetch(url, {"Range": "bytes=0-99"})
    assert status == 206 and len(head) == 100
    status, headers, body = fetch(url)
    assert status == 200 and hashlib.sha256(body).hexdigest() == job.sha256
    assert "keepsake-archive-" in headers["Content-Disposition"] and body[:100] == head
    saved = tmp_path / "archive.zip"
    saved.write_bytes(body)
    assert verify_archive(saved).ok
    assert store.keys(cluster.bucket, "archives/") == [f"archives/{job.storage_key}"]

    # When a second archive is requested and cancelled, it leaves no object
    second = request_job(client)
    assert api(client, "POST", f"/api/archives/{second}/cancel").status_code == 202
    cluster.wait(second, lambda j: j.status == "cancelled", what="cancelled")

    # And the first is deleted: its object goes with it
    assert api(client, "DELETE", f"/api/archives/{job_id}").status_code == 204
    assert store.keys(cluster.bucket, "archives/") == []

    # And a third one, once expired, is purged by beat's host (the test process here)
    third = request_job(client)
    cluster.wait(third, lambda j: j.status == "succeeded", timeout=120, what="built")
    with cluster.app.app_context():
        db.session.execute(
            sa.update(ArchiveJob)
            .where(ArchiveJob.id == uuid.UUID(third))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        assert sweeper.purge().expired == 1
    assert cluster.job(third).status == "expired"
    assert store.keys(cluster.bucket, "archives/") == []

    # And neither host kept a file of its own: the store holds them all
    assert files_in(web_folder / "uploads") == files_in(web_folder / "archives") == []
    assert files_in(worker_folder / "uploads") == files_in(worker_folder / "archives") == []
    assert store.keys(cluster.bucket, "uploads/") == uploads
