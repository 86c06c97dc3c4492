"""Benchmark: notes archives of realistic text, against the floor and a naive builder.

    .venv/bin/python bench/build_archive.py [--sizes 10000,100000,1000000] [--repeat 3]

Accounts are seeded with `flask demo seed --text realistic` (Zipf prose). Each build runs in a
fresh process, as a worker would. In the same run, for the same account:
- floor: PostgreSQL's COPY of the user's rows to stdout, plus ISA-L level 1 over as many
  bytes as the archive holds uncompressed - what no builder can beat;
- naive: fetch every note, json.dumps, zlib level 6 - what a first version does.
Prints a Markdown table with medians of --repeat runs; uses BENCH_DATABASE_URL or local PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import zlib
from typing import Any

import sqlalchemy as sa
from common import Workspace, peak_rss_mib, workspace
from isal import isal_zlib

FILES, FILE_KIB = 20, 256
SAMPLE = 64 * 1024 * 1024


def _copy_user(database: str, user_id: int) -> tuple[float, bytes]:
    """COPY the user's rows to stdout; return the seconds and a sample of the notes' text."""
    engine = sa.create_engine(database)
    sample = bytearray()
    started = time.perf_counter()
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for table in ("notes", "attachments", "activity_events"):
            query = f"COPY (SELECT * FROM {table} WHERE user_id = {user_id}) TO STDOUT"
            with cursor.copy(query) as copy:
                for block in copy:
                    if len(sample) < SAMPLE and table == "notes":
                        sample += block
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, bytes(sample) or b"x"


def _deflate(data: bytes, total: int) -> float:
    """Seconds for ISA-L level 1 to deflate `total` bytes of `data`, repeated as needed."""
    compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
    started, left = time.perf_counter(), total
    while left > 0:
        compressor.compress(data[: min(len(data), left)])
        left -= min(len(data), left)
    compressor.flush()
    return time.perf_counter() - started


def deflate_ratio(data: bytes) -> float:
    """Compressed size over raw size of the notes' text at ISA-L level 1."""
    compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
    return len(compressor.compress(data) + compressor.flush()) / len(data)


def naive(database: str, user_id: int) -> None:
    """The first version anyone writes: fetch all, json.dumps, zlib level 6 (in this child)."""
    engine = sa.create_engine(database)
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, title, body, created_at, updated_at FROM notes WHERE user_id = :u"),
            {"u": user_id},
        ).all()
    data = json.dumps(
        [
            {
                "id": r[0],
                "title": r[1],
                "body": r[2],
                "created_at": r[3].isoformat(),
                "updated_at": r[4].isoformat(),
            }
            for r in rows
        ]
    ).encode()
    zlib.compress(data, 6)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rss_peak": peak_rss_mib()}))


def _naive_in_child(ws: Workspace, user_id: int) -> dict[str, Any]:
    """Run the naive builder in a fresh process so its memory does not count against ours."""
    command = [sys.executable, __file__, "--naive", str(user_id)]
    done = subprocess.run(command, env=ws.env, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(ws: Workspace, count: int, repeat: int) -> dict[str, float]:
    """Seed one account and take the medians of its build, floor and naive figures."""
    email = f"bench{count}@example.com"
    ws.flask(
        "demo",
        "seed",
        email,
        "--notes",
        str(count),
        "--files",
        str(FILES),
        "--file-kib",
        str(FILE_KIB),
        "--text",
        "realistic",
    )
    builds, floors, ratios = [], [], []
    sample = b""
    for _ in range(repeat):
        build = ws.build(email)
        copy_seconds, sample = _copy_user(ws.database, int(build["user_id"]))
        floor = copy_seconds + _deflate(sample, int(build["raw"]))
        builds.append(build)
        floors.append(floor)
        ratios.append(build["seconds"] / floor)
    naive_run = _naive_in_child(ws, int(builds[0]["user_id"]))
    build_s = statistics.median(b["seconds"] for b in builds)
    return {
        "count": count,
        "mb": builds[0]["size"] / 1e6,
        "build": build_s,
        "floor": statistics.median(floors),
        "ratio": statistics.median(ratios),
        "naive": naive_run["seconds"],
        "naive_rss": naive_run["rss_peak"],
        "rss": max(b["rss_peak"] for b in builds),
        "deflate": deflate_ratio(sample),
    }


def run(sizes: list[int], repeat: int) -> None:
    """Print the notes table, one row per account size."""
    print(f"notes archives, realistic text, median of {repeat} builds per size")
    print(
        "| notes | archive MB | build s | floor s | build/floor | naive s | naive/build "
        "| peak RSS MiB | naive RSS MiB | notes deflate ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with workspace() as ws:
        for count in sizes:
            m = measure(ws, count, repeat)
            print(
                f"| {count:,} | {m['mb']:.1f} | {m['build']:.2f} | {m['floor']:.2f} | "
                f"{m['ratio']:.2f}x | {m['naive']:.2f} | {m['naive'] / m['build']:.1f}x | "
                f"{m['rss']:.0f} | {m['naive_rss']:.0f} | {m['deflate']:.1%} |",
                flush=True,
            )


def main() -> None:
    """Parse the command line; --naive is the child that runs the naive builder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive", type=int)
    args = parser.parse_args()
    if args.naive is not None:
        naive(os.environ["FLASK_SQLALCHEMY_DATABASE_URI"], args.naive)
    else:
        run([int(size) for size in args.sizes.split(",")], args.repeat)


if __name__ == "__main__":
    main()
