"""The builder on its own: in-memory sections, no database, no Celery."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import zipfile
import zlib
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest

from webapp.archives.builder import (
    ArchiveError,
    Bulk,
    Field,
    FileRef,
    Owner,
    Section,
    build_archive,
)
from webapp.archives.builder.zipper import GATHER
from webapp.archives.verify import verify_archive

OWNER = Owner(7, "owner@example.com")


class Stopped(Exception):
    """What a progress callback raises to stop a build (the runner's cancel and lease loss)."""


def notes_section(count: int) -> Section:
    def records(_conn: Any, _user: int) -> Iterator[dict[str, Any]]:
        for i in range(count):
            yield {"id": i, "title": f"<b>note</b> {i}"}

    return Section(
        "notes",
        "Notes",
        (Field("id", "integer", "id"), Field("title", "string", "t")),
        lambda _c, _u: count,
        records,
    )


def files_section(refs: list[FileRef]) -> Section:
    def records(_conn: Any, _user: int) -> Iterator[dict[str, Any]]:
        for ref in refs:
            yield {"path": ref.member_name}

    return Section(
        "files",
        "Files",
        (Field("path", "string", "p"),),
        lambda _c, _u: len(refs),
        records,
        lambda _c, _u: iter(refs),
    )


def stored_file(tmp_path: Path, name: str, data: bytes, compress: bool) -> FileRef:
    path = tmp_path / name
    path.write_bytes(data)
    opener = partial(open, path, "rb")
    return FileRef(f"files/{name}", opener, len(data), hashlib.sha256(data).hexdigest(), compress)


def build(tmp_path: Path, sections: list[Section], progress: Any = None) -> Path:
    target = tmp_path / "out" / "archive.zip"
    target.parent.mkdir(exist_ok=True)
    build_archive(None, OWNER, sections, target, progress or (lambda *_: None))  # type: ignore[arg-type]
    return target


def test_archive_lists_and_verifies_every_member(tmp_path: Path) -> None:
    photo = stored_file(tmp_path, "p.jpg", bytes(range(256)) * 100, compress=False)
    text = stored_file(tmp_path, "t.txt", b"hello\n" * 1000, compress=True)
    target = build(tmp_path, [notes_section(3000), files_section([photo, text])])
    assert verify_archive(target).ok
    with zipfile.ZipFile(target) as archive:
        assert archive.getinfo("files/p.jpg").compress_type == zipfile.ZIP_STORED
        assert archive.getinfo("files/t.txt").compress_type == zipfile.ZIP_DEFLATED
        assert archive.read("files/p.jpg") == (tmp_path / "p.jpg").read_bytes()
        manifest = orjson.loads(archive.read("manifest.json"))
        names = set(archive.namelist()) - {"manifest.json"}
        index = archive.read("index.html").decode()
    assert manifest["format"] == "keepsake-archive" and manifest["version"] == 2
    assert manifest["sections"] == {"notes": {"count": 3000}, "files": {"count": 2}}
    assert {entry["path"] for entry in manifest["files"]} == names
    assert {"README.txt", "index.html", "schema/notes.json", "notes.json", "notes.csv"} <= names
    assert "&lt;b&gt;note&lt;/b&gt;" in index and "<b>note" not in index
    assert "This page shows the first" not in index  # 3000 short notes fit the byte budget


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    build(tmp_path, [notes_section(1200)], lambda *args: seen.append(args))
    assert seen[-1][1:] == (1200, 1200)
    assert [phase for phase, *_ in seen][:2] == ["counting", "notes"]


def test_cancel_between_batches_leaves_no_file(tmp_path: Path) -> None:
    def cancel_midway(phase: str, done: int, total: int) -> None:
        if done >= 1000:
            raise Stopped()

    with pytest.raises(Stopped):
        build(tmp_path, [notes_section(5000)], cancel_midway)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("compress", [True, False])
def test_changed_upload_fails_with_a_code_and_no_file(tmp_path: Path, compress: bool) -> None:
    ref = stored_file(tmp_path, "f.txt", b"original", compress)
    (tmp_path / "f.txt").write_bytes(b"tampered")
    with pytest.raises(ArchiveError) as failure:
        build(tmp_path, [files_section([ref])])
    assert failure.value.code == "file_changed"
    assert list((tmp_path / "out").iterdir()) == []


def test_missing_upload_fails_with_file_missing(tmp_path: Path) -> None:
    ref = stored_file(tmp_path, "gone.txt", b"x", compress=True)
    (tmp_path / "gone.txt").unlink()
    with pytest.raises(ArchiveError) as failure:
        build(tmp_path, [files_section([ref])])
    assert failure.value.code == "file_missing"


def test_verify_reports_a_tampered_member(tmp_path: Path) -> None:
    target = build(tmp_path, [notes_section(10)])
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(target) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(
                info, data.replace(b"note", b"NOTE") if info.filename == "notes.json" else data
            )
    report = verify_archive(tampered)
    assert not report.ok and any("notes.json" in problem for problem in report.problems)


def test_verify_rejects_what_is_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert not verify_archive(junk).ok


def test_cancel_during_a_bulk_copy_closes_its_source_at_once(tmp_path: Path) -> None:
    closed: list[bool] = []

    def rows(_conn: Any, _user: int) -> Iterator[bytes]:
        try:
            for i in range(200_000):
                yield b"%d\tx\n" % i
        finally:
            closed.append(True)  # a real COPY is cancelled and drained here

    plain = notes_section(200_000)
    bulk = Bulk(lambda _conn: True, rows)
    section = Section(
        plain.name, plain.description, plain.fields, plain.count, plain.records, bulk=bulk
    )

    def cancel_midway(phase: str, done: int, total: int) -> None:
        if done >= 50_000:
            raise Stopped()

    try:
        build(tmp_path, [section], cancel_midway)
    except Stopped:
        # Checked while the traceback still holds the frames, as when the runner releases
        # its connection: the COPY must already be closed, not left for the GC.
        closed_when_raised = list(closed)
    assert closed_when_raised == [True]
    assert list((tmp_path / "out").iterdir()) == []


def test_stored_file_with_its_upload_crc_is_written_whole_and_checks_out(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4000
    plain = stored_file(tmp_path, "p.jpg", data, compress=False)
    ref = dataclasses.replace(plain, crc32=zlib.crc32(data))
    target = build(tmp_path, [files_section([ref])])
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None  # every member's CRC-32 matches its bytes
        assert archive.getinfo("files/p.jpg").compress_type == zipfile.ZIP_STORED
        assert archive.read("files/p.jpg") == data


@pytest.mark.parametrize("compress", [True, False])
def test_file_with_its_upload_crc_goes_in_the_manifest_with_its_upload_sha256(
    tmp_path: Path, compress: bool
) -> None:
    data = b"a line of text\n" * 50_000
    plain = stored_file(tmp_path, "f.txt", data, compress)
    ref = dataclasses.replace(plain, crc32=zlib.crc32(data))
    target = build(tmp_path, [files_section([ref])])
    assert verify_archive(target).ok
    with zipfile.ZipFile(target) as archive:
        listed = orjson.loads(archive.read("manifest.json"))["files"]
        assert archive.read("files/f.txt") == data
    [entry] = [entry for entry in listed if entry["path"] == "files/f.txt"]
    assert entry == {"path": "files/f.txt", "size": len(data), "sha256": plain.sha256}


@pytest.mark.parametrize("compress", [True, False])
def test_file_changed_at_its_size_since_its_upload_crc_fails(
    tmp_path: Path, compress: bool
) -> None:
    ref = stored_file(tmp_path, "p.jpg", b"original", compress)
    ref = dataclasses.replace(ref, crc32=zlib.crc32(b"original"))
    (tmp_path / "p.jpg").write_bytes(b"tampered")
    with pytest.raises(ArchiveError) as failure:
        build(tmp_path, [files_section([ref])])
    assert failure.value.code == "file_changed"
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("compress", [True, False])
def test_files_larger_than_a_read_buffer_come_out_exact(tmp_path: Path, compress: bool) -> None:
    # Read buffers are used again once packed: a buffer reused too early would mix files
    first, second = os.urandom(2 * GATHER + 12345), os.urandom(GATHER + 1)
    refs = [
        dataclasses.replace(ref, crc32=zlib.crc32(data))
        for ref, data in (
            (stored_file(tmp_path, "a.bin", first, compress), first),
            (stored_file(tmp_path, "b.bin", second, compress), second),
        )
    ]
    target = build(tmp_path, [files_section(refs)])
    assert verify_archive(target).ok
    with zipfile.ZipFile(target) as archive:
        assert (archive.read("files/a.bin"), archive.read("files/b.bin")) == (first, second)


def test_each_file_asks_for_the_next_one_ahead(tmp_path: Path) -> None:
    asked: list[str] = []
    refs = [
        dataclasses.replace(
            stored_file(tmp_path, name, name.encode(), compress=True),
            prefetch=partial(asked.append, name),
        )
        for name in ("a.txt", "b.txt", "c.txt")
    ]
    build(tmp_path, [files_section(refs)])
    assert asked == ["b.txt", "c.txt"]
