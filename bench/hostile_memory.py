"""Benchmark: a worker's peak RSS on accounts built to be hostile, against an ordinary one.

    .venv/bin/python bench/hostile_memory.py [--scale 1.0]

Each account is built in a fresh worker-like process, which prints its peak RSS (VmHWM from
/proc). The bound is the normal benchmark's: 150 MB. --scale shrinks or grows every account.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import sqlalchemy as sa
from common import Workspace, workspace

BOUND_MIB = 150
EMOJI_BODY = 100_000  # characters: 400 KB a note in UTF-8


def _sql(ws: Workspace, statement: str, **params: object) -> None:
    """Run one statement on the workspace's database (bulk rows are made by the server)."""
    engine = sa.create_engine(ws.database)
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    engine.dispose()


def _user_id(ws: Workspace, email: str, files: int = 0) -> int:
    """Create the account (and `files` small uploads) with the CLI; return its id."""
    ws.flask("demo", "seed", email, "--notes", "0", "--files", str(files), "--file-kib", "1")
    engine = sa.create_engine(ws.database)
    with engine.connect() as conn:
        user_id = conn.scalar(sa.text("SELECT id FROM users WHERE email = :e"), {"e": email})
    engine.dispose()
    return int(user_id)


def _notes(ws: Workspace, email: str, count: int, title: str, body: str) -> None:
    """Make `count` notes of the given SQL expressions for a new account, in the server."""
    columns = "user_id, title, body, created_at, updated_at"
    rows = f"SELECT :u, {title}, {body}, now(), now() FROM generate_series(1, :c) i"
    _sql(ws, f"INSERT INTO notes ({columns}) {rows}", u=_user_id(ws, email), c=count)


def huge_bodies(ws: Workspace, email: str, scale: float) -> str:
    """1,000 notes of 100,000 emoji each (about 400 MB of text)."""
    count = int(1000 * scale)
    _notes(ws, email, count, "'huge ' || i", f"repeat('😀', {EMOJI_BODY})")
    return f"{count:,} notes x {EMOJI_BODY:,} emoji"


def huge_titles(ws: Workspace, email: str, scale: float) -> str:
    """200,000 notes whose titles are 200 emoji with bidi overrides, bodies 2,000 emoji."""
    count = int(200_000 * scale)
    _notes(ws, email, count, "repeat('\u202e😀', 100)", "repeat('=😀', 1000)")
    return f"{count:,} notes, 200-character titles"


def many_files(ws: Workspace, email: str, scale: float) -> str:
    """5,000 uploads whose names are 255 characters of CJK, bidi controls and dots."""
    count = int(5000 * scale)
    uid = _user_id(ws, email, files=count)
    _sql(
        ws,
        "UPDATE attachments SET original_name = left(repeat('\u202e名..', 80) || id, 250) "
        "|| '.txt' WHERE user_id = :u",
        u=uid,
    )
    return f"{count:,} files, 255-character names"


def deep_activity(ws: Workspace, email: str, scale: float) -> str:
    """1,000,000 activity events with 255-character user agents and details."""
    uid = _user_id(ws, email)
    _sql(
        ws,
        "INSERT INTO activity_events (user_id, kind, created_at, ip, user_agent, detail) "
        "SELECT :u, 'login', now(), '203.0.113.' || (i % 250), repeat('Mozilla/5.0 ', 21), "
        "repeat('d', 255) FROM generate_series(1, :c) i",
        u=uid,
        c=int(1_000_000 * scale),
    )
    return f"{int(1_000_000 * scale):,} events"


def ordinary(ws: Workspace, email: str, scale: float) -> str:
    """The normal benchmark's smallest account: 10,000 notes of realistic text."""
    ws.flask(
        "demo",
        "seed",
        email,
        "--notes",
        str(int(10_000 * scale)),
        "--files",
        "20",
        "--file-kib",
        "256",
        "--text",
        "realistic",
    )
    return f"{int(10_000 * scale):,} realistic notes, 20 files"


ACCOUNTS: dict[str, Callable[[Workspace, str, float], str]] = {
    "ordinary": ordinary,
    "huge bodies": huge_bodies,
    "huge titles": huge_titles,
    "many files": many_files,
    "deep activity": deep_activity,
}


def main() -> None:
    """Seed each hostile account, build it in a child, print its peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    print(f"hostile accounts: worker peak RSS, bound {BOUND_MIB} MB")
    print("| account | what | build s | archive MB | index.html KB | peak RSS MiB | within bound |")
    print("|---|---|---:|---:|---:|---:|---|")
    with workspace() as ws:
        for index, (name, make) in enumerate(ACCOUNTS.items()):
            what = make(ws, f"hostile{index}@example.com", args.scale)
            result = ws.build(f"hostile{index}@example.com")
            rss = result["rss_peak"]
            print(
                f"| {name} | {what} | {result['seconds']:.1f} | {result['size'] / 1e6:.1f} | "
                f"{result['index_html'] / 1024:.0f} | {rss:.0f} | "
                f"{'yes' if rss * 1.048576 <= BOUND_MIB else 'NO'} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
