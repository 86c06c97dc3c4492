"""Benchmark: packing uploads through the storage layer, against a cold read of the same files.

    .venv/bin/python bench/attachments.py [--gib 1] [--repeat 3] [--backends local,s3]

One account holds --gib of uploads in 16 MiB files, half of them incompressible "photos"
(stored as they are) and half text (deflated). The packing rate is file bytes over the build's
own time (process start excluded; the publish to the store included). The floor is measured in
the same run, alternating with the builds:
- local: `cat` of the upload files to /dev/null, every file dropped from the page cache first
  (posix_fadvise DONTNEED), as it is before each build, so both read from the disk;
- s3 (moto's server on a loopback port, objects in its memory): a plain boto3 GET of every
  upload to /dev/null, one after the other - the store's own read rate.
Prints medians of --repeat runs, one row per backend.
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
    """Every stored upload of a local workspace."""
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


def get_seconds(ws: Workspace) -> float:
    """Time a plain GET of every upload object from the S3 server to /dev/null."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=ws.env["FLASK_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=ws.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=ws.env["AWS_SECRET_ACCESS_KEY"],
    )
    bucket = ws.env["FLASK_S3_BUCKET"]
    listing = client.list_objects_v2(Bucket=bucket, Prefix="uploads/")
    keys = sorted(item["Key"] for item in listing.get("Contents", []))
    started = time.perf_counter()
    for key in keys:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        while body.read(1024 * 1024):
            pass
    return time.perf_counter() - started


def measure(backend: str, gib: float, repeat: int) -> dict[str, float]:
    """Seed the account once, then alternate floors and builds; return the medians."""
    count = max(2, int(gib * 1024 / FILE_MIB))
    with workspace(backend) as ws:
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
        paths = uploads(ws) if backend == "local" else []
        floors, builds, publishes, archive = [], [], [], 0.0
        for _ in range(repeat):
            floors.append(cat_seconds(paths) if backend == "local" else get_seconds(ws))
            if paths:
                drop_cache(paths)
            result = ws.build("files@example.com")
            builds.append(result["seconds"])
            publishes.append(result["publish"])
            archive = result["size"]
            for old in (ws.folder / "archives").glob("*.zip"):
                old.unlink()  # keep the disk's free space and cache the same for every run
    total = count * FILE_MIB * 2**20
    return {
        "total": total,
        "archive": archive,
        "floor": statistics.median(floors),
        "build": statistics.median(builds),
        "publish": statistics.median(publishes),
    }


def main() -> None:
    """Measure each backend and print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="local,s3")
    args = parser.parse_args()
    print(
        f"attachments: {args.gib:g} GiB in {FILE_MIB} MiB files, half stored, half deflated; "
        f"median of {args.repeat}"
    )
    print(
        "| backend | files GiB | archive GiB | floor (cold read) s | floor MB/s | build s "
        "| of which publish s | packing MB/s | packing/floor |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend in args.backends.split(","):
        m = measure(backend, args.gib, args.repeat)
        floor_rate, rate = m["total"] / m["floor"] / 1e6, m["total"] / m["build"] / 1e6
        print(
            f"| {backend} | {m['total'] / 2**30:.2f} | {m['archive'] / 2**30:.2f} | "
            f"{m['floor']:.2f} | {floor_rate:.0f} | {m['build']:.2f} | {m['publish']:.2f} | "
            f"{rate:.0f} | {rate / floor_rate:.0%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
