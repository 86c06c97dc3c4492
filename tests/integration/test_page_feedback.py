"""What the pages say matches what happened: messages, times, sizes, words, intent."""

from __future__ import annotations

import io
import re
import uuid

from flask import Flask

from tests.support.http import PASSWORD, api, csrf_token, login, sign_up
from tests.support.web import HttpBrowser
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.auth.accounts import create_user, find_user
from webapp.extensions import db
from webapp.types import utcnow

MOMENT = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"


def test_lock_out_says_how_long_it_lasts_on_the_login_form(
    clean_state: Flask, live_server: str
) -> None:
    with clean_state.app_context():
        create_user("locked@example.com", PASSWORD)
        db.session.commit()
    browser = HttpBrowser(live_server)
    for _ in range(5):
        browser.login("locked@example.com", "wrong password guess")
    locked = browser.login("locked@example.com", PASSWORD)
    assert locked.status == 429
    assert re.search(rf"Try again in \d+ minutes?, at {MOMENT}\.", locked.text), locked.text
    assert 'name="password"' in locked.text  # still the form, not a bare error page


def test_sizes_dates_and_activity_read_as_words(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "words@example.com")
    token = csrf_token(client, "/files")
    upload = {"file": (io.BytesIO(bytes(300 * 1024)), "kib.bin"), "csrf_token": token}
    client.post("/files", data=upload, content_type="multipart/form-data")
    files = client.get("/files").get_data(as_text=True)
    assert "300.0 KiB" in files and "307200" not in files
    assert re.search(MOMENT, files)
    login(client, "words@example.com", "not the password at all")
    account = client.get("/auth/account").get_data(as_text=True)
    assert "Logged in" in account and "Failed login" in account and "login_failed" not in account


def test_delete_says_what_went_and_the_menu_marks_the_page(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "delete@example.com")
    with clean_state.app_context():
        user = find_user("delete@example.com")
        assert user is not None
        job = ArchiveJob(
            id=uuid.uuid4(), user_id=user.id, status=JobStatus.FAILED, finished_at=utcnow()
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    page = client.get("/archives").get_data(as_text=True)
    assert '<a href="/archives" aria-current="page">Archives</a>' in page
    assert "Delete this archive?" in page  # the confirmation comes before the button
    token = csrf_token(client, "/archives")
    answer = client.post(f"/archives/{job_id}/delete", data={"csrf_token": token})
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert re.search(rf"Deleted the archive requested {MOMENT}; its file is gone\.", page)


def test_confirm_page_names_the_action_it_will_continue(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "intent@example.com")
    clean_state.config["REAUTH_SECONDS"] = -1
    token = csrf_token(client, "/archives")
    asked = client.post("/archives", data={"csrf_token": token})
    assert asked.headers["Location"].startswith("/auth/confirm")
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "To request your archive, confirm your password" in page


def test_deleting_a_note_asks_first_and_names_it_as_text_once_gone(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "named@example.com")
    note_id = api(client, "POST", "/api/notes", json={"title": "<b>Bold</b> & co"}).json["id"]
    escaped = "&lt;b&gt;Bold&lt;/b&gt; &amp; co"
    asked = client.get(f"/notes/{note_id}/delete").get_data(as_text=True)
    assert escaped in asked and "<b>Bold</b>" not in asked
    token = csrf_token(client, f"/notes/{note_id}/delete")
    answer = client.post(f"/notes/{note_id}/delete", data={"csrf_token": token})
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"Deleted the note <bdi>{escaped}</bdi>." in page and "<b>Bold</b>" not in page
