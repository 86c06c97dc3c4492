"""An archive of a selection: exactly the records in range, still verifiable, estimated first."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.support.http import api, csrf_token, sign_up
from tests.support.jobs import wait_for_job
from webapp.archives.verify import verify_archive
from webapp.auth.models import User
from webapp.extensions import db
from webapp.notes.models import Attachment, Note

SINCE = datetime(2025, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 1, 1, tzinfo=UTC)
# On both edges and either side of them: since is inclusive, until exclusive.
MOMENTS = [
    SINCE - timedelta(microseconds=1),
    SINCE,
    SINCE + timedelta(days=100),
    UNTIL - timedelta(microseconds=1),
    UNTIL,
    UNTIL + timedelta(days=1),
]
IN_RANGE = MOMENTS[1:4]


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        return int(db.session.scalars(sa.select(User.id).where(User.email == email)).one())


def add_dated_data(app: Flask, client: FlaskClient, email: str) -> tuple[list[int], list[int]]:
    """Give the user one note and one file at each moment; return the ids in range."""
    owner = user_id(app, email)
    for i, _ in enumerate(MOMENTS):
        client.post(
            "/files",
            data={
                "file": (io.BytesIO(b"file %d" % i), f"f{i}.txt"),
                "csrf_token": csrf_token(client, "/files"),
            },
            content_type="multipart/form-data",
        )
    with app.app_context():
        notes = [
            Note(user_id=owner, title=f"note {i}", body="x", created_at=at, updated_at=at)
            for i, at in enumerate(MOMENTS)
        ]
        db.session.add_all(notes)
        files = db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()
        for attachment, at in zip(files, MOMENTS, strict=True):
            attachment.created_at = at
        db.session.commit()
        return (
            [n.id for n in notes if n.created_at in IN_RANGE],
            [f.id for f in files if f.created_at in IN_RANGE],
        )


def download(client: FlaskClient, job: dict[str, Any], tmp_path: Path) -> Path:
    response = client.get(job["download_url"])
    assert response.status_code == 200
    path = tmp_path / f"{job['id']}.zip"
    path.write_bytes(response.get_data())
    response.close()
    return path


def request_and_wait(app: Flask, client: FlaskClient, body: Any = None) -> dict[str, Any]:
    response = api(client, "POST", "/api/archives", json=body)
    assert response.status_code == 202, response.json
    wait_for_job(app, response.json["id"])
    job = api(client, "GET", f"/api/archives/{response.json['id']}").json
    assert job["status"] == "succeeded", job
    return job


def csv_ids(archive: zipfile.ZipFile, name: str) -> list[int]:
    rows = csv.DictReader(io.StringIO(archive.read(name).decode()))
    return [int(row["id"]) for row in rows]


def test_json_and_csv_of_a_selection_hold_exactly_the_records_in_range(
    clean_state: Flask, worker: Any, tmp_path: Path
) -> None:
    # Given a user with notes and files on both sides of a date range
    client = clean_state.test_client()
    sign_up(client, "range@example.com")
    note_ids, file_ids = add_dated_data(clean_state, client, "range@example.com")
    assert len(note_ids) == len(file_ids) == 3

    # When they ask for notes and files of 2025 only
    selection = {
        "sections": ["notes", "files"],
        "since": "2025-01-01",
        "until": "2026-01-01T00:00:00Z",
    }
    job = request_and_wait(clean_state, client, selection)

    # Then the job shows what was chosen, profile included, in the request's spelling
    assert job["selection"] == {
        "sections": ["profile", "notes", "files"],
        "since": "2025-01-01T00:00:00Z",
        "until": "2026-01-01T00:00:00Z",
        "incremental": False,
    }
    path = download(client, job, tmp_path)
    assert verify_archive(path).ok
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        manifest = orjson.loads(archive.read("manifest.json"))
        # And JSON and CSV hold exactly the records created in [since, until)
        assert [n["id"] for n in orjson.loads(archive.read("notes.json"))] == note_ids
        assert csv_ids(archive, "notes.csv") == note_ids
        files = orjson.loads(archive.read("files.json"))
        assert [f["id"] for f in files] == file_ids
        assert csv_ids(archive, "files.csv") == file_ids
        assert {n for n in names if n.startswith("files/")} == {f["path"] for f in files}
        # And the manifest says what the archive holds; unchosen sections are absent
        assert manifest["selection"] == job["selection"]
        assert manifest["sections"] == {
            "profile": {"count": 1},
            "notes": {"count": 3},
            "files": {"count": 3},
        }
        assert not any(n.startswith("activity") for n in names)
        # And every data file validates against the schema shipped beside it
        for section in ("profile", "notes", "files"):
            schema = orjson.loads(archive.read(f"schema/{section}.json"))
            jsonschema.Draft202012Validator(schema).validate(
                orjson.loads(archive.read(f"{section}.json"))
            )
        # And index.html still opens offline: no script, links only to members beside it
        html = archive.read("index.html").decode()
        assert "<script" not in html and "note 0" not in html and "note 2" in html
        for link in {f["path"] for f in files} | {"notes.json"}:
            assert f'href="{link}"' in html or link not in html


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"sections": ["notes", "photos"]}, "Unknown section: photos"),
        ({"sections": "notes"}, "list of section names"),
        ({"since": "yesterday"}, "not an ISO 8601"),
        ({"since": "2026-01-01", "until": "2025-01-01"}, "earlier than"),
        ({"incremental": "yes"}, "true or false"),
        ({"colour": "red"}, "Unknown field: colour"),
        ([1], "JSON object"),
    ],
)
def test_a_bad_selection_gets_a_400_that_says_why_and_makes_no_job(
    clean_state: Flask, body: Any, words: str
) -> None:
    client = clean_state.test_client()
    sign_up(client, "bad-selection@example.com")
    response = api(client, "POST", "/api/archives", json=body)
    # (the guard refuses a body that is not an object before the view, as on every route)
    assert response.status_code == 400
    assert response.json["error"] in ("invalid_selection", "invalid_json")
    assert words in response.json["message"]
    assert api(client, "GET", "/api/archives").json["archives"] == []


def test_a_bad_estimate_query_gets_a_400(client: FlaskClient) -> None:
    sign_up(client, "bad-estimate@example.com")
    answer = api(client, "GET", "/api/archives/estimate?sections=notes,photos")
    assert answer.status_code == 400 and "photos" in answer.json["message"]
    answer = api(client, "GET", "/api/archives/estimate?incremental=maybe")
    assert answer.status_code == 400 and answer.json["error"] == "invalid_selection"


def test_estimate_needs_a_login(client: FlaskClient) -> None:
    answer = client.get("/api/archives/estimate", headers={"Accept": "application/json"})
    assert answer.status_code == 401


def manifest_items(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        counts = orjson.loads(archive.read("manifest.json"))["sections"]
    return sum(c["count"] for c in counts.values()) + counts.get("files", {}).get("count", 0)


def uncompressed_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


# The last one's prose has punctuation, quotes and line breaks that JSON and CSV escape.
ACCOUNTS = [(40, 2, 16, "simple"), (3000, 4, 64, "simple"), (0, 6, 128, "simple")]
ACCOUNTS.append((1500, 1, 8, "realistic"))


@pytest.mark.parametrize(("notes", "files", "kib", "text"), ACCOUNTS)
def test_the_estimate_is_within_ten_percent_of_the_real_uncompressed_size(
    clean_state: Flask,
    worker: Any,
    runner: FlaskCliRunner,
    tmp_path: Path,
    notes: int,
    files: int,
    kib: int,
    text: str,
) -> None:
    # Given a generated account (its notes are one second apart, ending now)
    email = f"estimate-{notes}-{text}@example.com"
    client = clean_state.test_client()
    sign_up(client, email)
    seed = [
        "demo",
        "seed",
        email,
        "--notes",
        str(notes),
        "--files",
        str(files),
        "--file-kib",
        str(kib),
        "--text",
        text,
    ]
    assert runner.invoke(args=seed).exit_code == 0
    half = (datetime.now(UTC) - timedelta(seconds=notes // 2)).isoformat()
    selections = [
        {},
        {"sections": ["notes"]},
        {"sections": ["files", "activity"]},
        {"sections": ["notes"], "since": half},
    ]
    for selection in selections:
        # When the user asks for the estimate first, then for that archive
        query = {k: ",".join(v) if isinstance(v, list) else v for k, v in selection.items()}
        guess = client.get("/api/archives/estimate", query_string=query).json
        job = request_and_wait(clean_state, client, selection)

        # Then the estimate is within 10 % of the archive's real uncompressed size
        path = download(client, job, tmp_path)
        real = uncompressed_size(path)
        assert abs(guess["bytes"] - real) <= real * 0.10, (selection, guess, real)
        # And its items are the manifest's records plus one per file, as progress counts them
        # (activity gains the events of this very request, so it may count a few more)
        slack = 8 if "activity" in selection.get("sections", ["activity"]) else 0
        assert 0 <= manifest_items(path) - guess["items"] <= slack, (selection, guess)
        assert api(client, "DELETE", f"/api/archives/{job['id']}").status_code == 204


def test_a_wrong_choice_on_the_page_is_shown_as_typed_and_requesting_it_makes_no_job(
    clean_state: Flask,
) -> None:
    # Given a user whose address holds a range that ends before it starts
    client = clean_state.test_client()
    sign_up(client, "wrong-range@example.com")
    query = "sections=notes&since=2030-01-01&until=2020-01-01"

    # When the page shows that choice
    page = client.get(f"/archives?{query}").get_data(as_text=True)

    # Then it says what is wrong in the page's own words, keeps what was typed, offers no estimate
    assert "“On or after” must be earlier than “Before”" in page
    assert 'name="since" value="2030-01-01"' in page and 'value="notes" checked' in page
    assert 'value="files" checked' not in page and 'id="estimate"' not in page

    # And pressing Request sends that same choice, which is refused again: no job is made
    form = {"sections": ["profile", "notes"], "since": "2030-01-01", "until": "2020-01-01"}
    answer = client.post("/archives", data={**form, "csrf_token": csrf_token(client, "/archives")})
    assert answer.status_code == 302
    assert "since=2030-01-01" in answer.headers["Location"]
    assert "must be earlier" in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert api(client, "GET", "/api/archives").json["archives"] == []
