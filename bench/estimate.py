"""Benchmark: GET /api/archives/estimate on an account of 1M notes, against the floor.

The floor is the cheapest indexed question PostgreSQL can answer about the account: the
bare count(*) of the user's notes over their (user_id, id) index, measured in the same run.
The estimate adds byte sums and the file and activity sections; the issue asks for an
answer within 100 ms at 1M notes.

    .venv/bin/python bench/estimate.py [--notes 1000000] [--runs 50]

Uses BENCH_DATABASE_URL or the local PostgreSQL (a fresh database, dropped afterwards).
Figures are printed for a freshly seeded table and again after VACUUM ANALYZE, which
autovacuum runs on its own soon after a bulk load (index-only scans need its visibility map).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
QUERIES = {
    "everything": "",
    "notes of the last week": "sections=notes&since={week}",
    "notes and files of one day": "sections=notes,files&since={day}&until={until}",
}


def timings(call: Callable[[], object], runs: int) -> list[float]:
    """Time `runs` calls in milliseconds, after one warm-up call."""
    call()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def row(label: str, ms: list[float], floor_p50: float) -> str:
    """One Markdown row: p50, p95 and max, and p50 against the floor's."""
    p95 = statistics.quantiles(ms, n=20)[-1]
    p50 = statistics.median(ms)
    return f"| {label} | {p50:.1f} | {p95:.1f} | {max(ms):.1f} | {p50 / floor_p50:.1f}x |"


def measure(app: object, user_id: int, email: str, runs: int) -> None:
    """Print the floor and each query's latency through the real HTTP handler."""
    from flask import Flask

    from tests.support.http import sign_up
    from webapp.extensions import db
    from webapp.notes.models import Note

    assert isinstance(app, Flask)
    client = app.test_client()
    sign_up(client, email)
    with app.app_context():
        newest = db.session.scalar(sa.select(sa.func.max(Note.created_at)))
        assert newest is not None
        count = sa.select(sa.func.count()).select_from(Note).where(Note.user_id == user_id)
        floor = timings(lambda: db.session.scalar(count), runs)
    floor_p50 = statistics.median(floor)
    print("| request | p50 ms | p95 ms | max ms | p50/floor |")
    print("|---|---:|---:|---:|---:|")
    print(row("floor: count(*) of the notes", floor, floor_p50))
    moments = {"week": newest - timedelta(days=7), "day": newest - timedelta(days=1)}
    moments["until"] = newest
    spelled = {k: v.isoformat().replace("+", "%2B") for k, v in moments.items()}
    for label, template in QUERIES.items():
        query = template.format(**spelled)
        answer = client.get(f"/api/archives/estimate?{query}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        ms = timings(lambda q=query: client.get(f"/api/archives/estimate?{q}"), runs)  # type: ignore[misc]
        print(row(f"{label}: {answer.json}", ms, floor_p50))


def run(notes: int, runs: int) -> None:
    """Seed a fresh database, then measure before and after VACUUM ANALYZE."""
    from tests.support.migrations import migrate
    from webapp import create_app
    from webapp.auth.accounts import create_user
    from webapp.extensions import db
    from webapp.notes.seed import seed_files, seed_notes

    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    name = f"keepsake_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database = str(sa.make_url(SERVER).set(database=name))
    folder = Path(tempfile.mkdtemp(prefix="keepsake-bench-"))
    try:
        migrate(database)
        app = create_app(
            {
                "SECRET_KEY": secrets.token_hex(32),
                "SQLALCHEMY_DATABASE_URI": database,
                "UPLOAD_DIR": str(folder / "uploads"),
                "ARCHIVE_DIR": str(folder / "archives"),
            }
        )
        email = "estimate-bench@example.com"
        with app.app_context():
            user = create_user(email, "a long test password 42")
            db.session.flush()
            started = time.perf_counter()
            seed_notes(user.id, notes)
            seed_files(user.id, 20, 256 * 1024)
            db.session.commit()
            user_id = user.id
        print(f"seeded {notes:,} notes and 20 files in {time.perf_counter() - started:.1f} s\n")
        print("Freshly seeded (no VACUUM yet):\n")
        measure(app, user_id, email, runs)
        with sa.create_engine(database, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE notes"))
            conn.execute(sa.text("VACUUM ANALYZE attachments"))
        print("\nAfter VACUUM ANALYZE (what autovacuum does soon after a bulk load):\n")
        measure(app, user_id, email, runs)
        with app.app_context():
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    run(args.notes, args.runs)


if __name__ == "__main__":
    main()
