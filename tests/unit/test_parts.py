"""An archive above ARCHIVE_PART_SIZE: several ZIPs, each whole on its own, and an index part."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import orjson
import pytest

from tests.unit.test_builder import OWNER, files_section, notes_section, stored_file
from webapp.archives.builder import FileRef, build_archive
from webapp.archives.builder.parts import part_path
from webapp.archives.verify import verify_archive, verify_set

PART = 64 * 1024


def account(tmp_path: Path) -> list[FileRef]:
    """Files of many sizes: small ones, ones near a part, and one larger than a part."""
    sizes = [5_000, 20_000, 40_000, 60_000, 3_000, 150_000, 30_000, 10_000]
    return [
        stored_file(tmp_path, f"f{i}.bin", os.urandom(size), compress=i % 2 == 0)
        for i, size in enumerate(sizes)
    ]


def build_parts(tmp_path: Path, refs: list[FileRef], part_size: int | None = PART) -> Path:
    target = tmp_path / "out" / "archive.zip"
    target.parent.mkdir(exist_ok=True)
    result = build_archive(
        None,  # type: ignore[arg-type]
        OWNER,
        [notes_section(2000), files_section(refs)],
        target,
        lambda *_: None,
        part_size=part_size,
    )
    assert result.sha256 and result.parts[0].path == target
    assert result.size == sum(part.size for part in result.parts)
    return target


def written_parts(target: Path) -> list[Path]:
    return sorted(target.parent.glob("archive.part*.zip"), key=lambda p: int(p.stem[12:]))


def test_a_large_account_is_written_as_parts_that_each_open_alone(tmp_path: Path) -> None:
    refs = account(tmp_path)
    target = build_parts(tmp_path, refs)
    parts = written_parts(target)
    assert len(parts) >= 4
    members: list[str] = []
    for path in [target, *parts]:
        # Every part opens on its own, with unzip and with Python, and checks against itself.
        assert subprocess.run(["unzip", "-tq", str(path)], capture_output=True).returncode == 0
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            names = archive.namelist()
        assert "manifest.json" in names and verify_archive(path).ok
        members += [name for name in names if name != "manifest.json"]
        alone = any(ref.size > PART for ref in refs if ref.member_name in names)
        assert path.stat().st_size <= PART or (alone and len(names) == 2)
    # Nothing is split or repeated: each file is whole in exactly one part.
    for ref in refs:
        assert members.count(ref.member_name) == 1
    assert members.count("notes.json") == 1


def test_the_index_part_lists_every_part_with_size_and_sha256(tmp_path: Path) -> None:
    target = build_parts(tmp_path, account(tmp_path))
    with zipfile.ZipFile(target) as index:
        manifest = orjson.loads(index.read("manifest.json"))
        assert sorted(index.namelist()) == ["README.txt", "index.html", "manifest.json"]
    listed = {entry["index"]: entry for entry in manifest["parts"]}
    parts = written_parts(target)
    assert sorted(listed) == list(range(1, len(parts) + 1))
    for index, path in enumerate(parts, start=1):
        assert listed[index]["size"] == path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            assert orjson.loads(archive.read("manifest.json"))["part"] == {"index": index}
    assert manifest["version"] == 2 and manifest["sections"]["files"] == {"count": 8}
    report = verify_set([target])
    assert report.ok and report.parts == len(parts) + 1


def test_corrupting_one_part_makes_verify_name_that_part(tmp_path: Path) -> None:
    target = build_parts(tmp_path, account(tmp_path))
    broken = part_path(target, 2)
    data = bytearray(broken.read_bytes())
    data[len(data) // 3] ^= 0xFF
    broken.write_bytes(bytes(data))
    report = verify_set([target])
    assert not report.ok
    assert report.problems and all(
        p.startswith("part 2 (archive.part2.zip)") for p in report.problems
    )


def test_a_missing_part_is_named(tmp_path: Path) -> None:
    target = build_parts(tmp_path, account(tmp_path))
    part_path(target, 3).unlink()
    assert verify_set([target]).problems == ["part 3 (archive.part3.zip): missing"]


def test_parts_given_under_other_names_are_found(tmp_path: Path) -> None:
    target = build_parts(tmp_path, account(tmp_path))
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    given = []
    for path in written_parts(target):
        given.append(path.rename(moved / path.name))
    assert verify_set([target, *given]).ok
    assert verify_set([given[0]]).problems == [
        "archive.part1.zip is part 1; verify its index part instead"
    ]


def test_an_archive_within_the_part_size_stays_one_zip(tmp_path: Path) -> None:
    small = [stored_file(tmp_path, "a.txt", b"x" * 100, compress=True)]
    target = build_parts(tmp_path, small, part_size=10 * 1024 * 1024)
    assert written_parts(target) == []
    with zipfile.ZipFile(target) as archive:
        manifest = orjson.loads(archive.read("manifest.json"))
    assert "parts" not in manifest and "part" not in manifest
    assert verify_set([target]).ok


def test_a_version_1_archive_still_verifies(tmp_path: Path) -> None:
    target = build_parts(tmp_path, [], part_size=None)
    old = tmp_path / "v1.zip"
    with zipfile.ZipFile(target) as source, zipfile.ZipFile(old, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "manifest.json":
                manifest = orjson.loads(data)
                manifest["version"] = 1
                data = orjson.dumps(manifest)
            copy.writestr(info, data)
    assert verify_set([old]).ok


@pytest.mark.parametrize("version", [0, 3])
def test_unknown_versions_are_refused(tmp_path: Path, version: int) -> None:
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr(
            "manifest.json",
            orjson.dumps({"format": "keepsake-archive", "version": version, "files": []}),
        )
    assert verify_set([other]).problems == [
        f"other.zip: unsupported keepsake-archive version {version}"
    ]
