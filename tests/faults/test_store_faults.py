"""The object store fails under a real worker: down at the start, gone mid-upload, a lost file."""

from __future__ import annotations

from typing import Any

from tests.faults.checks import assert_failed
from tests.faults.conftest import Cluster
from tests.support.s3 import S3Server
from webapp.archives import actions
from webapp.archives.verify import verify_archive
from webapp.auth.accounts import create_user
from webapp.extensions import db
from webapp.notes.models import Attachment
from webapp.notes.seed import seed_files, seed_notes


def seed(cluster: Cluster, email: str, files: int, file_bytes: int) -> int:
    with cluster.app.app_context():
        user = create_user(email, "a long enough password")
        db.session.flush()
        seed_notes(user.id, 1000)
        seed_files(user.id, files, file_bytes)
        db.session.commit()
        return user.id


def request(cluster: Cluster, user_id: int) -> str:
    with cluster.app.app_context():
        job, created = actions.request_archive(user_id)
        assert created
        return str(job.id)


def archive_part_upload(environ: dict[str, Any]) -> bool:
    """The first request that uploads a part of an archive (a multipart upload is under way)."""
    return (
        environ["REQUEST_METHOD"] == "PUT"
        and "/archives/" in environ["PATH_INFO"]
        and "partNumber=" in environ.get("QUERY_STRING", "")
    )


def assert_one_archive_object(cluster: Cluster, store: S3Server, job_id: str) -> None:
    """The job succeeded with exactly its own object in the store and nothing unfinished."""
    job = cluster.job(job_id)
    assert job.status == "succeeded", cluster.logs()
    assert store.keys(cluster.bucket, "archives/") == [f"archives/{job.storage_key}"]
    unfinished = store.client().list_multipart_uploads(Bucket=cluster.bucket)
    assert unfinished.get("Uploads", []) == []
    path = cluster.folder / "downloaded.zip"
    store.client().download_file(cluster.bucket, f"archives/{job.storage_key}", str(path))
    assert verify_archive(path).ok
    assert list(cluster.archive_dir.glob("*")) == []  # the worker's scratch copy is gone


def test_store_down_at_the_start_of_a_build_retries_then_succeeds(
    s3_cluster: Cluster, store_server: S3Server
) -> None:
    # Given a user with files in the store, and then the store goes down
    cluster = s3_cluster
    cluster.settings["ARCHIVE_MAX_ATTEMPTS"] = 8
    user_id = seed(cluster, "down@example.com", files=2, file_bytes=64 * 1024)
    store_server.stop()
    cluster.worker()

    # When a build starts, it meets the outage and is handed back to the queue
    job_id = request(cluster, user_id)
    cluster.wait(job_id, lambda j: j.attempts >= 1 and j.status == "queued", what="released")
    assert cluster.job(job_id).status != "succeeded"

    # Then once the store is back, a retry succeeds
    store_server.start()
    cluster.wait(job_id, lambda j: j.status == "succeeded", timeout=120, what="succeeded")
    assert cluster.job(job_id).attempts >= 2
    assert_one_archive_object(cluster, store_server, job_id)


def test_store_stopped_while_the_archive_uploads_leaves_no_success_and_no_orphan(
    s3_cluster: Cluster, store_server: S3Server
) -> None:
    # Given an archive big enough for a multipart upload (3 incompressible files of 4 MiB)
    cluster = s3_cluster
    cluster.settings["ARCHIVE_MAX_ATTEMPTS"] = 8
    user_id = seed(cluster, "midway@example.com", files=5, file_bytes=4 * 1024 * 1024)
    store_server.stop_when = archive_part_upload
    cluster.worker()

    # When the store stops as the first part of the archive arrives
    job_id = request(cluster, user_id)
    cluster.wait(job_id, lambda j: not store_server.running, what="store stopped mid-upload")
    job = cluster.wait(job_id, lambda j: j.status == "queued", what="released after the outage")

    # Then the job is not succeeded without its object
    assert job.status != "succeeded" and job.storage_key is None

    # And once the store is back the retry succeeds, leaving no object of the failed attempt
    store_server.start()
    cluster.wait(job_id, lambda j: j.status == "succeeded", timeout=120, what="succeeded")
    assert cluster.job(job_id).attempts >= 2
    assert_one_archive_object(cluster, store_server, job_id)


def test_attachment_missing_from_the_store_fails_with_file_missing(
    s3_cluster: Cluster, store_server: S3Server
) -> None:
    # Given a user whose second file was lost from the store
    cluster = s3_cluster
    user_id = seed(cluster, "lost@example.com", files=2, file_bytes=64 * 1024)
    with cluster.app.app_context():
        lost = db.session.scalars(db.select(Attachment.storage_key).order_by(Attachment.id)).all()
    store_server.client().delete_object(Bucket=cluster.bucket, Key=f"uploads/{lost[1]}")
    cluster.worker()

    # When an archive is built
    job_id = request(cluster, user_id)
    cluster.wait(job_id, lambda j: j.status in ("succeeded", "failed"), what="finished")

    # Then it fails with file_missing and leaves nothing, here or in the store
    assert_failed(cluster, job_id, "file_missing")
    assert store_server.keys(cluster.bucket, "archives/") == []
