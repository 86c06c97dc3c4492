"""Format version 2: every archive names itself and the watermark of the snapshot it came from."""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path
from typing import Any

import orjson
from flask import Flask

from tests.integration.test_archive_flow import add_note, request_and_wait
from tests.support.http import sign_up
from webapp.archives.models import ArchiveJob
from webapp.extensions import db


def manifest_of(app: Flask, job: dict[str, Any]) -> dict[str, Any]:
    with app.app_context():
        row = db.session.get(ArchiveJob, uuid.UUID(job["id"]))
        assert row is not None and row.storage_key is not None
        path = Path(app.config["ARCHIVE_DIR"]) / row.storage_key
        watermark = row.watermark
    with zipfile.ZipFile(path) as archive:
        head = dict(orjson.loads(archive.read("manifest.json")))
    assert head["watermark"] == watermark
    return head


def test_each_archive_names_itself_and_the_snapshot_it_is_complete_to(
    clean_state: Flask, worker: Any
) -> None:
    client = clean_state.test_client()
    sign_up(client, "manifest@example.com")
    add_note(client, "first", "one")
    first = manifest_of(clean_state, request_and_wait(clean_state, client))
    add_note(client, "second", "two")
    second = manifest_of(clean_state, request_and_wait(clean_state, client))

    for head, count in ((first, 1), (second, 2)):
        assert head["format"] == "keepsake-archive" and head["version"] == 2
        assert head["sections"]["notes"] == {"count": count}
        assert head["watermark"].startswith("pg:") and "continues" not in head
    assert first["id"] != second["id"] and first["watermark"] != second["watermark"]
