"""Benchmark: packing uploads, against a cold `cat` of the same files in the same run.

    .venv/bin/python bench/attachments.py [--gib 1] [--repeat 3]

One account holds --gib of uploads in 16 MiB files, half of them incompressible "photos"
(stored as they are) and half text (deflated). Before each timed step every upload is dropped
from the page cache (posix_fadvise DONTNEED), so both read from the disk. The packing rate is
file bytes over the build's own time (process start excluded); the floor is `cat` of the same
files to /dev/null. Prints medians of --repeat alternating runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

from common import Workspace, workspace

FILE_MIB = 16


def uploads(ws: Workspace) -> list[Path]:
    """Every stored upload of the workspace."""
    return sorted(p for p in (ws.folder / "uploads").rglob("*") if p.is_file())


def drop_cache(paths: list[Path]) -> None:
    """Ask the kernel to forget the files' pages, so the next read comes from the disk."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def cat_seconds(paths: list[Path]) -> float:
    """Time a cold `cat` of the files to /dev/null."""
    drop_cache(paths)
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        subprocess.run(["cat", *map(str, paths)], stdout=null, check=True)
    return time.perf_counter() - started


def main() -> None:
    """Seed the account once, then alternate cold cats and cold builds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    count = max(2, int(args.gib * 1024 / FILE_MIB))
    with workspace() as ws:
        ws.flask(
            "demo",
            "seed",
            "files@example.com",
            "--notes",
            "0",
            "--files",
            str(count),
            "--file-kib",
            str(FILE_MIB * 1024),
        )
        paths = uploads(ws)
        total = sum(p.stat().st_size for p in paths)
        cats, builds, archive = [], [], 0.0
        for _ in range(args.repeat):
            cats.append(cat_seconds(paths))
            drop_cache(paths)
            result = ws.build("files@example.com")
            builds.append(result["seconds"])
            archive = result["size"]
            for old in (ws.folder / "archives").glob("*.zip"):
                old.unlink()  # keep the disk's free space and cache the same for every run
    cat, build = statistics.median(cats), statistics.median(builds)
    print(
        f"attachments: {count} files of {FILE_MIB} MiB ({total / 2**30:.2f} GiB), half stored, "
        f"half deflated; cold page cache; median of {args.repeat}"
    )
    print(
        "| files GiB | archive GiB | cold cat s | cat MB/s | build s | packing MB/s | packing/cat |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {total / 2**30:.2f} | {archive / 2**30:.2f} | {cat:.2f} | {total / cat / 1e6:.0f} | "
        f"{build:.2f} | {total / build / 1e6:.0f} | {cat / build:.0%} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
