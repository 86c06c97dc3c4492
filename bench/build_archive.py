"""Benchmark: archive build time and peak RSS for 10k, 100k and 1M notes, against the floor.

The floor for an account is what no builder can beat: PostgreSQL's COPY of the user's rows to
stdout, plus deflating (python-isal, level 1) as many bytes as the builder wrote uncompressed.

    .venv/bin/python bench/build_archive.py [--sizes 10000,100000,1000000]

Uses BENCH_DATABASE_URL or the local PostgreSQL; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import sqlalchemy as sa
from isal import isal_zlib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FILES, FILE_KIB = 20, 256


def peak_rss_mib() -> float:
    """Return this process's peak resident set size (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def env_for(database: str, folder: Path) -> dict[str, str]:
    return dict(
        os.environ,
        FLASK_SQLALCHEMY_DATABASE_URI=database,
        FLASK_SECRET_KEY=secrets.token_hex(32),
        FLASK_UPLOAD_DIR=str(folder / "uploads"),
        FLASK_ARCHIVE_DIR=str(folder / "archives"),
        FLASK_APP="webapp",
    )


def child(email: str) -> None:
    """Build one archive in this fresh process, as `flask archives build` does."""
    from webapp import create_app
    from webapp.archives import actions, runner, transitions
    from webapp.auth.accounts import find_user
    from webapp.extensions import db

    app = create_app()
    with app.app_context():
        user = find_user(email)
        assert user is not None
        job, _ = actions.request_archive(user.id, ignore_cooldown=True, enqueue_message=False)
        claim = transitions.claim(user.id, 600)
        assert claim is not None
        rss_before = peak_rss_mib()
        started = time.perf_counter()
        outcome = runner.execute(claim, user)
        seconds = time.perf_counter() - started
        db.session.refresh(job)
        path = Path(app.config["ARCHIVE_DIR"]) / (job.storage_key or "")
        with zipfile.ZipFile(path) as archive:
            raw = sum(info.file_size for info in archive.infolist())
        print(
            json.dumps(
                {
                    "outcome": outcome,
                    "seconds": seconds,
                    "size": job.size,
                    "raw": raw,
                    "rss_start": rss_before,
                    "rss_peak": peak_rss_mib(),
                    "user_id": user.id,
                }
            )
        )


def floor_seconds(database: str, user_id: int, raw_bytes: int) -> float:
    """COPY the user's rows to stdout, then deflate raw_bytes of them with ISA-L level 1."""
    engine = sa.create_engine(database)
    sample = bytearray()
    started = time.perf_counter()
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for table in ("notes", "attachments", "activity_events"):
            query = f"COPY (SELECT * FROM {table} WHERE user_id = {user_id}) TO STDOUT"
            with cursor.copy(query) as copy:
                for block in copy:
                    if len(sample) < 64 * 1024 * 1024:
                        sample += block
    copied = time.perf_counter() - started
    engine.dispose()
    data = bytes(sample) or b"x"
    compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
    started, left = time.perf_counter(), raw_bytes
    while left > 0:
        piece = data[: min(len(data), left)]
        compressor.compress(piece)
        left -= len(piece)
    compressor.flush()
    return copied + time.perf_counter() - started


def run(sizes: list[int]) -> None:
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    name = f"keepsake_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database = str(sa.make_url(SERVER).set(database=name))
    folder = Path(tempfile.mkdtemp(prefix="keepsake-bench-"))
    env = env_for(database, folder)
    bin_dir = Path(sys.executable).parent
    try:
        subprocess.run(
            [bin_dir / "alembic", "upgrade", "head"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        print(
            "| notes | files | archive MB | build s | notes/s | MB/s written | floor s | "
            "build/floor | peak RSS MiB |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for count in sizes:
            email = f"bench{count}@example.com"
            subprocess.run(
                [
                    bin_dir / "flask",
                    "demo",
                    "seed",
                    email,
                    "--notes",
                    str(count),
                    "--files",
                    str(FILES),
                    "--file-kib",
                    str(FILE_KIB),
                ],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            out = subprocess.run(
                [sys.executable, __file__, "--child", email],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            floor = floor_seconds(database, result["user_id"], result["raw"])
            mb = result["size"] / 1e6
            print(
                f"| {count:,} | {FILES} | {mb:.1f} | {result['seconds']:.2f} | "
                f"{count / result['seconds']:,.0f} | {mb / result['seconds']:.1f} | "
                f"{floor:.2f} | {result['seconds'] / floor:.2f}x | {result['rss_peak']:.0f} |",
                flush=True,
            )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
    else:
        run([int(size) for size in args.sizes.split(",")])


if __name__ == "__main__":
    main()
