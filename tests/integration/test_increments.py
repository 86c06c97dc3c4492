"""A chain of increments on a changing account rebuilds exactly a full archive of its last moment.

The account changes through the HTTP API as a user would change it (notes added, edited and
deleted; files added and deleted); archives are built by the same runner the worker uses,
on PostgreSQL and on SQLite.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from flask import Flask

from tests.support.chains import (
    EVERYTHING,
    INCREMENTAL,
    Account,
    State,
    manifest,
    rebuilt,
    sha256,
    signed_up,
)
from tests.support.http import api, csrf_token, sign_up
from tests.support.jobs import wait_for_job
from tests.support.migrations import migrate
from tests.support.settings import LIMITS_PREFIX, SECRET
from webapp import create_app
from webapp.archives.selection import Selection
from webapp.archives.verify import verify_archive, verify_chain
from webapp.extensions import db

# Events the chain cannot hold: written after the last increment's snapshot, by archiving.
LATER_EVENTS = {"archive_succeeded", "archive_requested", "archive_started"}


@pytest.fixture(params=["postgresql", "sqlite"])
def account_app(
    request: pytest.FixtureRequest, clean_state: Flask, tmp_path: Path
) -> Iterator[Flask]:
    """The PostgreSQL app, or the same app on a fresh SQLite database migrated by Alembic."""
    if request.param == "postgresql":
        yield clean_state
        return
    url = f"sqlite:///{tmp_path}/keepsake.sqlite"
    migrate(url)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "ARCHIVE_DIR": str(tmp_path / "archives"),
            "ARCHIVE_COOLDOWN": 0,
            "RATELIMIT_KEY_PREFIX": LIMITS_PREFIX,
            "CELERY": dict(clean_state.config["CELERY"]),
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()
    clean_state.extensions["celery"].set_current()


@pytest.fixture
def account(account_app: Flask) -> Account:
    return signed_up(account_app, "changing@example.com", notes=6, files=3)


def assert_same_account(chain: State, full: State) -> None:
    assert chain.profile == full.profile
    assert chain.notes == full.notes
    assert chain.files == full.files
    assert chain.blobs == full.blobs
    assert {i: full.activity[i] for i in chain.activity} == chain.activity
    assert {full.activity[i]["kind"] for i in set(full.activity) - set(chain.activity)} <= (
        LATER_EVENTS
    )


def test_a_full_archive_and_three_increments_rebuild_the_account_exactly(
    account: Account,
) -> None:
    chain = [account.archive(EVERYTHING)]
    for _ in range(3):
        account.change()
        chain.append(account.archive(INCREMENTAL))
    full = account.archive(EVERYTHING)

    assert_same_account(rebuilt(*chain), full=rebuilt(full))
    # Each increment names the archive before it, so the chain can be checked link by link.
    for before, after in zip(chain, chain[1:], strict=False):
        head, previous = manifest(after), manifest(before)
        assert head["continues"] == {"id": previous["id"], "sha256": sha256(before)}
        assert head["selection"]["incremental"] is True and head["watermark"]
        assert verify_archive(after).ok
    # `flask archives verify --chain` checks every link and that each continues the one before
    cli = account.app.test_cli_runner()
    whole = cli.invoke(args=["archives", "verify", "--chain", *map(str, chain)])
    assert whole.exit_code == 0, whole.output
    assert f"OK: a chain of {len(chain)} archives in {len(chain)} files" in whole.output
    gap = cli.invoke(args=["archives", "verify", "--chain", str(chain[0]), str(chain[2])])
    assert gap.exit_code == 1 and f"{chain[2].name}: does not continue" in gap.output
    assert not verify_chain(chain[1:]).ok  # an increment cannot start a chain
    # An increment holds only what changed, and what went: 3 new notes and 2 edited at most,
    # one note and one file deleted.
    last = manifest(chain[-1])
    assert last["sections"]["notes"]["count"] <= 5 < len(account.notes)
    assert last["sections"]["deleted"]["count"] == 2
    assert "deleted" not in manifest(full)["sections"]


def test_a_note_edited_during_a_build_lands_in_exactly_one_archive_of_the_chain(
    account: Account,
) -> None:
    chain = [account.archive(EVERYTHING)]
    account.change()
    target = account.notes.pop(0)  # later changes leave it alone
    chain.append(
        account.archive(INCREMENTAL, during=lambda: account.edit_note(target, "edited mid-build"))
    )
    account.change()
    chain.append(account.archive(INCREMENTAL))
    account.change()
    chain.append(account.archive(INCREMENTAL))

    holding = [path for path in chain if "edited mid-build" in _titles(path)]
    assert holding == [chain[2]]  # not in the build it raced, and not repeated later
    assert_same_account(rebuilt(*chain), full=rebuilt(account.archive(EVERYTHING)))


def test_an_incremental_request_without_a_previous_archive_is_a_full_one(
    account: Account,
) -> None:
    first = account.archive(INCREMENTAL)
    head = manifest(first)
    assert "continues" not in head and head["sections"]["notes"]["count"] == len(account.notes)
    with zipfile.ZipFile(first) as archive:
        assert "deleted.json" not in archive.namelist()
    # The next increment continues it, even though it was asked for as an increment.
    account.delete_note()
    assert manifest(account.archive(INCREMENTAL))["continues"]["sha256"] == sha256(first)


def test_an_increment_continues_only_an_archive_of_the_same_selection(account: Account) -> None:
    notes_only = {"sections": ["notes"]}
    everything = account.archive(EVERYTHING)
    account.archive(Selection.parse(notes_only))
    account.add_file()
    increment = account.archive(INCREMENTAL)
    assert manifest(increment)["continues"]["sha256"] == sha256(everything)
    assert [f["id"] for f in _records(increment, "files")] == [account.files[-1]]


def test_an_increment_through_the_api_on_the_worker(clean_state: Flask, worker: Any) -> None:
    account = signed_up(clean_state, "worker-chain@example.com", notes=3)
    client = account.client
    first = api(client, "POST", "/api/archives")
    assert wait_for_job(clean_state, first.json["id"]).status == "succeeded"
    account.delete_note()
    account.edit_note()
    second = api(client, "POST", "/api/archives", json={"incremental": True})
    assert second.status_code == 202, second.json
    assert second.json["selection"]["incremental"] is True
    done = wait_for_job(clean_state, second.json["id"])
    assert done.status == "succeeded" and str(done.continues_id) == first.json["id"]
    shown = api(client, "GET", f"/api/archives/{done.id}").json
    first_sha = api(client, "GET", f"/api/archives/{first.json['id']}").json["sha256"]
    assert shown["continues"] == {"id": first.json["id"], "sha256": first_sha}
    download = client.get(shown["download_url"])
    with zipfile.ZipFile(io.BytesIO(download.get_data())) as archive:
        deleted = orjson.loads(archive.read("deleted.json"))
        notes = orjson.loads(archive.read("notes.json"))
        schema = orjson.loads(archive.read("schema/deleted.json"))
    download.close()
    assert [gone["section"] for gone in deleted] == ["notes"] and len(notes) == 1
    assert schema["items"]["required"] == ["section", "id", "deleted_at"]


def _records(path: Path, section: str) -> list[dict[str, Any]]:
    with zipfile.ZipFile(path) as archive:
        return list(orjson.loads(archive.read(f"{section}.json")))


def _titles(path: Path) -> list[str]:
    return [note["title"] for note in _records(path, "notes")]


def test_the_archives_page_asks_for_everything_since_the_last_archive(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "page-chain@example.com")
    chosen = "/archives?sections=notes&sections=files&incremental=true"
    page = client.get(chosen).get_data(as_text=True)
    assert 'value="true" id="incremental" checked' in page
    assert '<input type="hidden" form="request-form" name="incremental" value="true">' in page
    form = {"csrf_token": csrf_token(client, chosen), "sections": ["notes", "files"]}
    answer = client.post("/archives", data={**form, "incremental": "true"})
    assert answer.status_code == 302
    job = api(client, "GET", "/api/archives").json["archives"][0]
    assert job["selection"] == {
        "sections": ["profile", "notes", "files"],
        "since": None,
        "until": None,
        "incremental": True,
    }
    assert job["continues"] is None  # decided by the build, in its own snapshot
    assert "what changed since your last archive" in client.get("/archives").get_data(as_text=True)


def test_an_admin_builds_an_increment_from_the_shell(account: Account) -> None:
    cli = account.app.test_cli_runner()
    full = cli.invoke(args=["archives", "build", "changing@example.com"])
    assert full.exit_code == 0 and "continues=" not in full.output, full.output
    first_id = full.output.split("succeeded: ")[1].split()[0]
    account.delete_note()
    increment = cli.invoke(args=["archives", "build", "changing@example.com", "--incremental"])
    assert increment.exit_code == 0 and f"continues={first_id}" in increment.output


def test_a_write_begun_before_a_build_and_committed_during_it_is_in_the_next_increment(
    clean_state: Flask,
) -> None:
    # Given a transaction that changed a note before the build took its snapshot (a clock
    # watermark would place it in the past) and commits while the build runs
    account = signed_up(clean_state, "slow-writer@example.com")
    target = account.add_note()
    chain = [account.archive(EVERYTHING)]
    with clean_state.app_context():
        writer = db.engine.connect()
    pending = writer.begin()
    writer.execute(sa.text("UPDATE notes SET title = 'slow writer' WHERE id = :id"), {"id": target})
    try:
        chain.append(account.archive(INCREMENTAL, during=pending.commit))
    finally:
        writer.close()
    chain.append(account.archive(INCREMENTAL))
    assert manifest(chain[1])["watermark"].rsplit(":", 1)[1]  # the build saw it in progress
    # Then it is in the increment after the build it straddled, and in no other
    holding = [path for path in chain if "slow writer" in _titles(path)]
    assert holding == [chain[2]]
