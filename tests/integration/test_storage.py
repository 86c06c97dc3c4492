"""Uploads and archives in the store on both backends: exact bytes, nothing left behind."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import zlib
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from tests.support.http import PASSWORD, csrf_token, sign_up
from webapp.archives.models import ArchiveJob
from webapp.extensions import db
from webapp.notes.models import Attachment
from webapp.storage import ARCHIVES, UPLOADS, store
from webapp.types import utcnow

REFUSE_ATTACHMENTS = """
CREATE FUNCTION refuse_attachment() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the database refuses this row'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER refuse_attachment BEFORE INSERT ON attachments
FOR EACH ROW EXECUTE FUNCTION refuse_attachment();
"""
ALLOW_ATTACHMENTS = "DROP FUNCTION IF EXISTS refuse_attachment() CASCADE"


def stored_keys(app: Flask, area: str) -> list[str]:
    with app.app_context():
        return sorted(item.key for item in store().keys(area))


def upload(app: Flask, client: object, data: bytes, name: str = "f.bin") -> int:
    token = csrf_token(client, "/files")  # type: ignore[arg-type]
    return client.post(  # type: ignore[attr-defined, no-any-return]
        "/files",
        data={"file": (io.BytesIO(data), name), "csrf_token": token},
        content_type="multipart/form-data",
    ).status_code


def test_upload_whose_commit_fails_leaves_no_file(backend: Flask) -> None:
    # Given a database that refuses the attachment row (answered as in production, not raised)
    backend.config["PROPAGATE_EXCEPTIONS"] = False
    client = backend.test_client()
    sign_up(client, "refused@example.com")
    with backend.app_context():
        db.session.execute(sa.text(REFUSE_ATTACHMENTS))
        db.session.commit()
    try:
        # When a file is uploaded
        status = upload(backend, client, b"bytes that must not stay" * 100)
    finally:
        with backend.app_context():
            db.session.execute(sa.text(ALLOW_ATTACHMENTS))
            db.session.commit()

    # Then the answer is an error, and neither a row nor stored bytes remain
    assert status == 500
    with backend.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert stored_keys(backend, UPLOADS) == []


def test_orphan_check_reports_then_removes_orphans_in_both_directions(backend: Flask) -> None:
    # Given a real upload, and one orphan of each kind
    backend.config["STORAGE_ORPHAN_GRACE"] = 0
    client = backend.test_client()
    sign_up(client, "orphans@example.com")
    assert upload(backend, client, b"kept") == 302
    assert upload(backend, client, b"lost") == 302
    with backend.app_context():
        kept, lost = db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()
        store().remove(UPLOADS, lost.storage_key)  # a row without its file
        store().write(UPLOADS, "f" * 32, io.BytesIO(b"no row"))  # a file without its row
        store().write(ARCHIVES, "stray.zip", io.BytesIO(b"no job"))
        past = utcnow() - timedelta(days=1)
        job = ArchiveJob(
            id=uuid.uuid4(),
            user_id=kept.user_id,
            status="succeeded",
            requested_at=past,
            finished_at=past,
            expires_at=utcnow() + timedelta(days=1),
            storage_key="vanished.zip",  # a succeeded archive whose object is gone
        )
        db.session.add(job)
        db.session.commit()
        kept_key, job_id = kept.storage_key, job.id
    runner = backend.test_cli_runner()

    # When the check runs without --remove, it reports and changes nothing
    report = runner.invoke(args=["storage", "check"]).output
    assert "uploads: found 1 files without rows, 1 rows without files" in report
    assert "archives: found 1 files without rows, 1 rows without files" in report
    assert "f" * 32 in report and "stray.zip" in report
    assert stored_keys(backend, ARCHIVES) == ["stray.zip"]

    # Then with --remove, both directions are made to agree
    report = runner.invoke(args=["storage", "check", "--remove"]).output
    assert "uploads: removed 1 files without rows, 1 rows without files" in report
    assert stored_keys(backend, UPLOADS) == [kept_key]
    assert stored_keys(backend, ARCHIVES) == []
    with backend.app_context():
        assert db.session.scalars(sa.select(Attachment.storage_key)).all() == [kept_key]
        expired = db.session.get(ArchiveJob, job_id)
        assert expired is not None and (expired.status, expired.storage_key) == ("expired", None)
    again = runner.invoke(args=["storage", "check"]).output
    assert "uploads: found 0 files without rows, 0 rows without files" in again
    assert "archives: found 0 files without rows, 0 rows without files" in again


def test_big_upload_streams_in_with_sha256_and_crc32_and_comes_back_exact(
    backend: Flask, live_server: str
) -> None:
    # Given a logged-in browser over real HTTP
    session = requests.Session()
    page = session.get(f"{live_server}/auth/register").text
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    session.post(
        f"{live_server}/auth/register",
        data={"email": "big@example.com", "password": PASSWORD, "csrf_token": token},
    )
    session.post(
        f"{live_server}/auth/login",
        data={"email": "big@example.com", "password": PASSWORD, "csrf_token": token},
    )

    # When a 12 MiB file is uploaded (a multipart upload on s3)
    data = os.urandom(12 * 1024 * 1024)
    answer = session.post(
        f"{live_server}/files",
        data={"csrf_token": token},
        files={"file": ("holiday ünïcode.mp4", data, "video/mp4")},
        allow_redirects=False,
    )
    assert answer.status_code == 302

    # Then the row has both checksums of exactly those bytes
    with backend.app_context():
        row = db.session.scalars(sa.select(Attachment)).one()
        assert (row.size, row.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert row.crc32 == zlib.crc32(data)
        with store().open(UPLOADS, row.storage_key) as stored:
            assert stored.read(len(data) + 1) == data

    # And its download gives the same bytes under the original name
    answer = session.get(f"{live_server}/files/{row.id}", timeout=30)
    assert answer.status_code == 200 and answer.content == data
    assert (
        "filename*=UTF-8''holiday%20%C3%BCn%C3%AFcode.mp4" in answer.headers["Content-Disposition"]
    )
    session.close()


@pytest.mark.parametrize("name", ["photo.jpg", "notes.txt"])
def test_upload_changed_in_the_store_at_its_size_fails_the_build(backend: Flask, name: str) -> None:
    # Given an upload (a photo is stored in the archive, a text deflated), whose stored bytes
    # are then replaced by as many other bytes, its recorded size and checksums kept
    client = backend.test_client()
    sign_up(client, "changed@example.com")
    data = b"the bytes that were uploaded\n" * 4096
    assert upload(backend, client, data, name) == 302
    with backend.app_context():
        row = db.session.scalars(sa.select(Attachment)).one()
        assert row.crc32 == zlib.crc32(data)
        store().write(UPLOADS, row.storage_key, io.BytesIO(data.upper()))

    # When the archive is built
    built = backend.test_cli_runner().invoke(args=["archives", "build", "changed@example.com"])

    # Then the build fails with file_changed, and no archive is left in the store
    assert built.exit_code == 1 and "failed: " in built.output, built.output
    with backend.app_context():
        job = db.session.scalars(sa.select(ArchiveJob)).one()
        assert job.error_code == "file_changed"
    assert stored_keys(backend, ARCHIVES) == []


def test_local_download_is_handed_to_nginx_when_accel_redirect_is_set(clean_state: Flask) -> None:
    # Given the local backend behind nginx's internal location
    clean_state.config["ACCEL_REDIRECT_PREFIX"] = "/_protected"
    clean_state.extensions.pop("storage", None)
    client = clean_state.test_client()
    sign_up(client, "accel@example.com")
    assert upload(clean_state, client, b"sent by nginx", "notes ü.txt") == 302
    with clean_state.app_context():
        row = db.session.scalars(sa.select(Attachment)).one()

    # When the owner downloads it, the app authorises and names the file; nginx sends it
    answer = client.get(f"/files/{row.id}")
    clean_state.extensions.pop("storage", None)
    assert answer.status_code == 200 and answer.data == b""
    key = row.storage_key
    assert answer.headers["X-Accel-Redirect"] == f"/_protected/uploads/{key[:2]}/{key}"
    assert "filename*=UTF-8''notes%20%C3%BC.txt" in answer.headers["Content-Disposition"]


def test_prefetch_of_a_missing_upload_is_no_error(backend: Flask) -> None:
    with backend.app_context():
        store().prefetch(UPLOADS, "f" * 32)
