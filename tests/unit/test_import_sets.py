"""The import check of an archive in parts: the set is whole, each part the one its index pins."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.support import archives
from webapp.imports.bundle import Given
from webapp.imports.checker import check_archive
from webapp.imports.members import Limits
from webapp.imports.refusal import ImportRefused
from webapp.imports.sets import index_first

LIMITS = Limits(max_bytes=10 * 1024**3, max_members=1000, max_ratio=100, max_member_bytes=1024**3)
NOTES = [archives.note(1, title="Grüße ✓"), archives.note(2)]
FILES = {"a.txt": b"hello\n" * 100, "b.bin": bytes(range(256)) * 4, "c.txt": b"third\n"}


def split(members: archives.Members) -> list[archives.Members]:
    """Lay members out in three parts as the builder might: schemas and notes, files.json, bytes."""
    first = {name: data for name, data in members.items() if not name.startswith("files")}
    second = {
        name: data for name, data in members.items() if name in ("files.json", "files/1-a.txt")
    }
    rest = {
        name: data for name, data in members.items() if name not in first and name not in second
    }
    return [first, second, rest]


def parts(folder: Path, stem: str = "keepsake-x") -> list[Path]:
    folder.mkdir(exist_ok=True)
    return archives.write_set(folder, split(archives.members(NOTES, FILES)), stem)


def refusal(*paths: Path, limits: Limits = LIMITS) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        check_archive([Given(path, path.name) for path in paths], limits, lambda done, total: None)
    return caught.value


def test_a_whole_set_passes_and_counts_the_records_of_every_part(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    given = [Given(path, path.name) for path in parts(tmp_path)]
    checked = check_archive(given, LIMITS, lambda done, total: seen.append((done, total)))
    assert checked.counts == {"notes": 2, "files": 3, "deleted": 0}
    assert (checked.version, checked.user_email) == (2, "origin@example.com")
    assert seen[-1][0] == seen[-1][1] > 0  # the part files and their members, all read


def test_a_missing_part_is_named(tmp_path: Path) -> None:
    index, first, _, third = parts(tmp_path)
    refused = refusal(index, third, first)
    assert refused.code == "checksum_mismatch"
    assert "Part 2 (keepsake-x.part2.zip) is missing" in refused.message


def test_a_damaged_part_is_named(tmp_path: Path) -> None:
    index, first, second, third = parts(tmp_path)
    archives.flip_byte(second, 2, "files/1-a.txt")
    refused = refusal(index, first, second, third)
    assert refused.code == "checksum_mismatch"
    assert "keepsake-x.part2.zip is part 2" in refused.message and "damaged" in refused.message


def test_a_part_of_another_archive_is_named(tmp_path: Path) -> None:
    index, first, _, third = parts(tmp_path / "a")
    stranger = parts(tmp_path / "b", stem="keepsake-y")[2]
    refused = refusal(index, first, stranger, third)
    assert refused.code == "checksum_mismatch"
    assert "keepsake-y.part2.zip is part 2 of another archive" in refused.message


def test_an_extra_file_a_repeated_part_and_a_set_without_its_index_are_refused(
    tmp_path: Path,
) -> None:
    index, first, second, third = parts(tmp_path)
    single = archives.write(tmp_path / "single.zip", archives.members(NOTES))
    assert "single.zip is not a part" in refusal(index, first, second, third, single).message
    assert "given twice" in refusal(index, first, second, third, second).message
    assert "index part" in refusal(first, second, third).message
    assert "whole archive on its own" in refusal(single, first).message
    assert {refusal(first).code, refusal(index).code} == {"checksum_mismatch"}


def test_limits_hold_over_the_whole_set(tmp_path: Path) -> None:
    paths = parts(tmp_path)
    infos = [zipfile.ZipFile(path).infolist() for path in paths]
    members, largest = sum(map(len, infos)), max(map(len, infos))
    unpacked = [sum(info.file_size for info in each) for each in infos]
    # Each part alone is within the limit; the set is one over it.
    assert largest < members - 1 and max(unpacked) < sum(unpacked) - 1
    few = Limits(LIMITS.max_bytes, members - 1, LIMITS.max_ratio, LIMITS.max_member_bytes)
    assert refusal(*paths, limits=few).code == "too_large"
    small = Limits(sum(unpacked) - 1, 1000, LIMITS.max_ratio, LIMITS.max_member_bytes)
    assert refusal(*paths, limits=small).code == "too_large"


def test_a_name_in_two_parts_with_other_bytes_is_unsafe(tmp_path: Path) -> None:
    layout = split(archives.members(NOTES, FILES))
    layout[2]["notes.json"] = b"[]"
    paths = archives.write_set(tmp_path, layout)
    assert refusal(*paths).code == "unsafe_member"


def test_the_index_part_is_put_first_whatever_the_order_given(tmp_path: Path) -> None:
    index, *rest = parts(tmp_path)
    files = [(path.name, io.BytesIO(path.read_bytes())) for path in [*rest, index]]
    assert [name for name, _ in index_first(files)][0] == index.name
    assert all(stream.tell() == 0 for _, stream in files)
    lone = [("x.zip", io.BytesIO(b"not a zip"))]
    assert index_first(lone) == lone


def test_an_increment_in_parts_names_the_archive_it_continues(tmp_path: Path) -> None:
    layout = split(archives.members(NOTES, FILES))
    paths = archives.write_set(tmp_path, layout, continues={"id": "x", "sha256": "0" * 64})
    checked = check_archive([Given(p, p.name) for p in paths], LIMITS, lambda done, total: None)
    assert checked.continues == "0" * 64 and checked.counts["notes"] == 2
