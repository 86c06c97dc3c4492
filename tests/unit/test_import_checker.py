"""The import check on its own: every kind of bad archive is refused with its own code."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.support import archives
from webapp.archives.deletions import deleted_section
from webapp.imports.bundle import Given
from webapp.imports.checker import CheckedArchive, Progress, check_archive
from webapp.imports.members import Limits, unsafe_name
from webapp.imports.refusal import ImportRefused

LIMITS = Limits(
    max_bytes=10 * 1024**3, max_members=100_000, max_ratio=100, max_member_bytes=5 * 1024**3
)
GOOD_NOTES = [archives.note(1, title="Grüße ✓", body="=SUM(A1)\n" * 50), archives.note(2)]
GOOD_FILES = {"a.txt": b"hello\n" * 100, "b.bin": bytes(range(256))}


def check(
    *paths: Path, limits: Limits = LIMITS, progress: Progress | None = None
) -> CheckedArchive:
    """Check an upload of these files, the first its root, as the worker does."""
    given = [Given(path, path.name) for path in paths]
    return check_archive(given, limits, progress or (lambda done, total: None))


def refused(path: Path, limits: Limits = LIMITS) -> str:
    with pytest.raises(ImportRefused) as caught:
        check(path, limits=limits)
    assert caught.value.message  # every refusal says why, in words
    return caught.value.code


def good(tmp_path: Path) -> Path:
    return archives.write(tmp_path / "good.zip", archives.members(GOOD_NOTES, GOOD_FILES))


def test_a_valid_archive_passes_and_reports_its_origin_and_counts(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    checked = check(good(tmp_path), progress=lambda done, total: seen.append((done, total)))
    assert (checked.format, checked.version) == ("keepsake-archive", 1)
    assert checked.user_email == "origin@example.com"
    assert checked.counts == {"notes": 2, "files": 2, "deleted": 0}
    assert checked.continues is None  # a full archive
    assert seen[-1][0] == seen[-1][1] > 0


def test_a_member_changed_after_the_manifest_is_a_checksum_mismatch(tmp_path: Path) -> None:
    listed = archives.members(GOOD_NOTES, GOOD_FILES)
    head = archives.manifest(listed)
    listed["files/1-a.txt"] = b"hellO\n" * 100
    assert refused(archives.write(tmp_path / "a.zip", listed, head=head)) == "checksum_mismatch"


def test_a_flipped_byte_in_the_stored_data_is_a_corrupt_archive(tmp_path: Path) -> None:
    path = archives.flip_byte(good(tmp_path), 3, "notes.json")
    assert refused(path) == "corrupt_archive"


def test_a_member_missing_from_the_manifest_is_refused(tmp_path: Path) -> None:
    listed = archives.members(GOOD_NOTES)
    path = archives.write(tmp_path / "a.zip", listed, extra={"files/9-extra.txt": b"x"})
    assert refused(path) == "checksum_mismatch"


def test_a_manifest_naming_a_missing_member_is_refused(tmp_path: Path) -> None:
    listed = archives.members(GOOD_NOTES)
    head = archives.manifest({**listed, "files/9-gone.txt": b"gone"})
    assert refused(archives.write(tmp_path / "a.zip", listed, head=head)) == "checksum_mismatch"


@pytest.mark.parametrize(
    "bad_note",
    [
        {
            "id": 1,
            "title": 5,
            "body": "",
            "created_at": archives.MOMENT,
            "updated_at": archives.MOMENT,
        },
        {"id": 1, "title": "no body"},
        archives.note(1, created_at="yesterday"),
        archives.note(1, created_at="2025-03-04T05:06:07"),  # no zone: could not be kept exactly
        archives.note(1, title="x" * 201),
        archives.note(1, body="nul \u0000 inside"),
    ],
)
def test_an_invalid_notes_json_is_schema_invalid(
    tmp_path: Path, bad_note: dict[str, object]
) -> None:
    path = archives.write(tmp_path / "a.zip", archives.members([bad_note]))
    assert refused(path) == "schema_invalid"


def test_notes_json_that_is_not_an_array_is_schema_invalid(tmp_path: Path) -> None:
    listed = archives.members([])
    listed["notes.json"] = orjson.dumps({"id": 1})
    assert refused(archives.write(tmp_path / "a.zip", listed)) == "schema_invalid"


def test_the_archives_own_schema_is_enforced(tmp_path: Path) -> None:
    listed = archives.members([archives.note(1, mood="happy")])  # additionalProperties: false
    assert refused(archives.write(tmp_path / "a.zip", listed)) == "schema_invalid"


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/etc/evil", "files/../../x", "a\\b", "C:x", "bad\x07name"]
)
def test_unsafe_member_names_are_refused(tmp_path: Path, name: str) -> None:
    path = archives.write(tmp_path / "a.zip", {**archives.members(GOOD_NOTES), name: b"x"})
    assert refused(path) == "unsafe_member"


def test_a_symlink_member_is_refused(tmp_path: Path) -> None:
    path = archives.write(
        tmp_path / "a.zip", archives.members(GOOD_NOTES), tamper=archives.symlink_member
    )
    assert refused(path) == "unsafe_member"


def test_a_one_gib_zip_bomb_is_refused_from_its_directory(tmp_path: Path) -> None:
    path = archives.zeros_bomb(tmp_path / "bomb.zip")
    assert path.stat().st_size < 5 * 1024 * 1024
    assert refused(path) == "too_large"


def test_member_count_total_size_and_member_size_limits(tmp_path: Path) -> None:
    path = good(tmp_path)
    assert refused(path, Limits(10**9, 3, 100, 10**9)) == "too_large"
    assert refused(path, Limits(100, 1000, 100, 10**9)) == "too_large"
    assert refused(path, Limits(10**9, 1000, 100, 100)) == "too_large"


def test_an_unknown_version_is_unsupported(tmp_path: Path) -> None:
    listed = archives.members(GOOD_NOTES)
    head = archives.manifest(listed, version=99)
    assert refused(archives.write(tmp_path / "a.zip", listed, head=head)) == "unsupported_version"


def test_something_that_is_not_a_zip_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(b"PK\x03\x04 definitely not a zip" * 10)
    assert refused(path) == "corrupt_archive"


def test_a_zip_without_manifest_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.json", b"[]")
    assert refused(path) == "corrupt_archive"


def test_files_json_pointing_outside_the_archive_is_refused(tmp_path: Path) -> None:
    listed = archives.members(GOOD_NOTES, GOOD_FILES)
    records = orjson.loads(listed["files.json"])
    records[0]["path"] = "notes.json"
    listed["files.json"] = orjson.dumps(records)
    assert refused(archives.write(tmp_path / "a.zip", listed)) == "checksum_mismatch"


@pytest.mark.parametrize(
    ("name", "unsafe"),
    [
        ("notes.json", False),
        ("files/1-a b.txt", False),
        ("files/", False),
        ("./x", True),
        ("", True),
    ],
)
def test_unsafe_name_rules(name: str, unsafe: bool) -> None:
    assert unsafe_name(name) is unsafe


def test_a_schema_with_a_remote_ref_is_refused_without_fetching_it(tmp_path: Path) -> None:
    listed = archives.members(GOOD_NOTES)
    listed["schema/notes.json"] = orjson.dumps(
        {"type": "array", "items": {"$ref": "http://169.254.169.254/latest/meta-data"}}
    )
    assert refused(archives.write(tmp_path / "a.zip", listed)) == "schema_invalid"


def test_a_schema_that_is_not_a_schema_is_refused(tmp_path: Path) -> None:
    listed = archives.members(GOOD_NOTES)
    listed["schema/notes.json"] = orjson.dumps({"type": "array", "items": {"type": 5}})
    assert refused(archives.write(tmp_path / "a.zip", listed)) == "schema_invalid"


def increment(deleted: list[Any]) -> archives.Members:
    listed = archives.members(GOOD_NOTES)
    listed["deleted.json"] = orjson.dumps(deleted)
    schema = deleted_section(("notes", "files"), "true").json_schema()
    listed["schema/deleted.json"] = orjson.dumps(schema)
    return listed


def test_an_increment_passes_and_names_the_archive_it_continues(tmp_path: Path) -> None:
    listed = increment([{"section": "notes", "id": 9, "deleted_at": archives.MOMENT}])
    head = {**archives.manifest(listed, version=2), "continues": {"id": "x", "sha256": "0" * 64}}
    checked = check(archives.write(tmp_path / "a.zip", listed, head=head))
    assert checked.continues == "0" * 64 and checked.counts["deleted"] == 1


@pytest.mark.parametrize(
    "gone",
    [
        {"section": "users", "id": 1, "deleted_at": archives.MOMENT},
        {"section": "notes", "id": -1, "deleted_at": archives.MOMENT},
        {"section": "notes", "deleted_at": archives.MOMENT},
    ],
)
def test_an_increment_deleting_what_is_not_a_record_is_refused(
    tmp_path: Path, gone: dict[str, Any]
) -> None:
    listed = increment([gone])
    head = {**archives.manifest(listed, version=2), "continues": {"id": "x", "sha256": "0" * 64}}
    assert refused(archives.write(tmp_path / "a.zip", listed, head=head)) == "schema_invalid"


def test_a_continues_without_a_digest_is_refused(tmp_path: Path) -> None:
    listed = increment([])
    head = {**archives.manifest(listed, version=2), "continues": {"id": "x", "sha256": "?"}}
    assert refused(archives.write(tmp_path / "a.zip", listed, head=head)) == "schema_invalid"


def test_a_full_version_2_archive_passes(tmp_path: Path) -> None:
    listed = archives.members(GOOD_NOTES)
    head = {**archives.manifest(listed, version=2), "selection": {}, "watermark": "w"}
    path = archives.write(tmp_path / "a.zip", listed, head=head)
    assert check(path).version == 2
