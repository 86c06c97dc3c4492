"""Benchmark: many small archives per second, and POST /api/archives under load against /healthz.

    .venv/bin/python bench/throughput.py [--users 135] [--clients 50] [--seconds 10]
        [--rounds 3] [--baseline DIR]

Starts the production web command (gunicorn with deploy/gunicorn.conf.py: 4 gthread workers of
32 threads, keep-alive) and a Celery worker (concurrency 2) on a fresh PostgreSQL database,
the local Redis (a queue of its own) and real HTTP. Every user (25 notes, 3 files) logs in;
then:
1. all users request an archive at once: archives per second, from the first request to the
   last success, and the time from request to start (p50, p99) read from the job rows;
2. --clients keep-alive clients send POST /api/archives for --seconds (the builds they cause
   run on the same machine), then the same clients send GET /healthz: both rates, and their
   ratio, from the same server and the same load generator.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import secrets
import statistics
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from common import BIN, ROOT, Workspace, workspace
from cpu import Meter, backends, family, named
from visitors import PASSWORD, Visitor, get_health, load, log_everyone_in, parallel, post

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def seed(ws: Workspace, users: int) -> None:
    """Make the accounts in this process: one password hash, 25 notes and 3 files each."""
    os.environ.update(ws.env)
    from webapp import create_app
    from webapp.auth.models import User
    from webapp.auth.passwords import hash_password
    from webapp.extensions import db
    from webapp.notes.seed import seed_files, seed_notes

    app = create_app()
    with app.app_context():
        digest = hash_password(PASSWORD)
        for index in range(users):
            user = User(email=f"load{index}@example.com", password_hash=digest, display_name="L")
            db.session.add(user)
            db.session.flush()
            seed_notes(user.id, 25, "realistic")
            seed_files(user.id, 3, 64 * 1024)
        db.session.commit()


@dataclass(frozen=True)
class Running:
    """The servers of one tree: where to send requests, and a meter of their CPU."""

    base: str
    meter: Meter


@contextmanager
def servers(ws: Workspace, port: int, root: Path) -> Iterator[Running]:
    """Run gunicorn and a Celery worker from `root` as production does; stop both afterwards."""
    queue = f"bench-{secrets.token_hex(4)}"
    env = dict(
        ws.env,
        FLASK_CELERY__broker_url=REDIS,
        FLASK_CELERY__result_backend=REDIS,
        FLASK_CELERY__task_default_queue=queue,
        FLASK_ARCHIVE_COOLDOWN="0",
        # Rate-limit counters live in Redis by user id: each run counts afresh, never a
        # previous run's users of the same ids.
        FLASK_RATELIMIT_KEY_PREFIX=f"bench-limits-{secrets.token_hex(4)}",
        PYTHONPATH=str(root),
    )
    logs = open(ws.folder / "servers.log", "wb")  # noqa: SIM115 (closed below)
    # The production web command (deploy/gunicorn.conf.py: gthread, keep-alive), on a loopback port.
    config = root / "deploy" / "gunicorn.conf.py"
    web = [str(BIN / "gunicorn"), "--config", str(config), "--bind", f"127.0.0.1:{port}"]
    worker = [str(BIN / "celery"), "-A", "make_celery", "worker", "--concurrency", "2"]
    processes = [
        subprocess.Popen(
            [*web, "webapp:create_app()"], env=env, cwd=root, stderr=logs, stdout=logs
        ),
        subprocess.Popen(
            [*worker, "-Q", queue, "--loglevel", "INFO"],
            env=env,
            cwd=root,
            stderr=logs,
            stdout=logs,
        ),
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: b"ready." in (ws.folder / "servers.log").read_bytes())
        _wait_until(lambda: urllib.request.urlopen(base + "/healthz", timeout=2).status == 200)
        database = sa.make_url(ws.database).database or ""
        web, worker = (process.pid for process in processes)
        groups = {
            "web": lambda: family(web),
            "worker": lambda: family(worker),
            "postgres": lambda: backends(database),
            "redis (shared)": lambda: named("redis-server"),
        }
        yield Running(base, Meter(groups))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        logs.close()


def _wait_until(ready: Callable[[], bool], seconds: float = 60) -> None:
    """Poll until ready() is true, or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("the servers did not start")


def burst(base: str, visitors: list[Visitor], database: str) -> dict[str, float]:
    """Every user requests at once; figures come from this burst's job rows once all finished."""
    port = int(base.rsplit(":", 1)[1])
    statuses: list[int] = []
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        since = conn.execute(sa.text("SELECT now()")).scalar_one()
    parallel(
        len(visitors),
        lambda i: statuses.append(
            post(http.client.HTTPConnection("127.0.0.1", port, timeout=120), visitors[i])
        ),
    )
    assert all(status == 202 for status in statuses), statuses
    mine = "FROM archive_jobs WHERE requested_at >= :since"
    query = sa.text(
        "SELECT count(*) FILTER (WHERE status NOT IN ('queued','running')), "
        f"count(*) FILTER (WHERE status = 'succeeded') {mine}"
    )
    with engine.connect() as conn:
        done = lambda: conn.execute(query, {"since": since}).one()[0] == len(visitors)  # noqa: E731
        _wait_until(done, seconds=900)
        succeeded = conn.execute(query, {"since": since}).one()[1]
        rows = conn.execute(
            sa.text(
                "SELECT extract(epoch FROM started_at - requested_at), requested_at, finished_at "
                f"{mine} AND status = 'succeeded'"
            ),
            {"since": since},
        ).all()
    engine.dispose()
    waits = sorted(float(row[0]) for row in rows)
    span = (max(r[2] for r in rows) - min(r[1] for r in rows)).total_seconds()
    return {
        "archives": succeeded,
        "per_second": succeeded / span,
        "start_p50": waits[len(waits) // 2],
        "start_p99": waits[min(len(waits) - 1, int(len(waits) * 0.99))],
    }


def idle(database: str) -> None:
    """Wait until no job is queued or running, so each timed phase starts from a quiet worker."""
    engine = sa.create_engine(database)
    query = sa.text("SELECT count(*) FROM archive_jobs WHERE status IN ('queued','running')")
    with engine.connect() as conn:
        _wait_until(lambda: conn.execute(query).scalar_one() == 0, seconds=900)
    engine.dispose()


@dataclass
class Tree:
    """A source tree being measured: its workspace, logged-in users and figures."""

    name: str
    root: Path
    ws: Workspace
    visitors: list[Visitor] = field(default_factory=list)
    runs: dict[str, list[float]] = field(default_factory=dict)
    worst: dict[str, float] = field(default_factory=dict)

    def note(self, name: str, value: float) -> None:
        """Keep one run's figure."""
        self.runs.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        """The median of a figure over the runs."""
        return statistics.median(self.runs[name])

    def note_cpu(self, phase: str, used: dict[str, float], units: float) -> None:
        """Keep a phase's CPU per unit of work (ms), and how busy the whole machine was."""
        total = used.pop("machine total")
        self.note(f"{phase} machine busy", used.pop("machine busy") / total if total else 0)
        for group, seconds in used.items():
            self.note(f"{phase} cpu {group}", 1000 * seconds / max(units, 1))


def measure(trees: list[Tree], args: argparse.Namespace) -> None:
    """Each round runs every tree in turn, so drift in the machine's speed hits all alike.

    One tree's servers run at a time (two sets would need more PostgreSQL connections than
    the server allows); session cookies outlive a restart, so users log in once. Each phase
    also records the CPU each group of processes used, per archive or per request.
    """
    for _ in range(args.rounds):
        for tree in trees:
            with servers(tree.ws, args.port, tree.root) as running:
                base, meter = running.base, running.meter
                if not tree.visitors:
                    tree.visitors = log_everyone_in(base, args.users)
                before = meter.snapshot()
                figures = burst(base, tree.visitors, tree.ws.database)
                tree.note_cpu("burst", meter.since(before), figures["archives"])
                for key, value in figures.items():
                    tree.note(key, value)
                rates = {}
                for name, send in (("health", get_health), ("post", post)):
                    idle(tree.ws.database)
                    before = meter.snapshot()
                    done = load(base, tree.visitors[: args.clients], args.seconds, send)
                    tree.note_cpu(name, meter.since(before), done["rps"] * args.seconds)
                    rates[name] = done["rps"]
                    tree.note(name, done["rps"])
                    worst = max(tree.worst.get(f"{name}_p99", 0), done["p99"])
                    tree.worst[f"{name}_p99"] = worst
                    tree.worst["errors"] = tree.worst.get("errors", 0) + done["errors"]
                    for key, count in done.items():
                        if key.startswith("status "):
                            tree.note(f"{name} {key}", count)
                tree.note("ratio", rates["post"] / rates["health"])
                idle(tree.ws.database)


def main() -> None:
    """Measure the given trees side by side and print one table with the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=135)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another source tree to measure alongside")
    parser.add_argument("--port", type=int, default=18000 + secrets.randbelow(1000))
    args = parser.parse_args()
    named_trees = [("baseline", args.baseline)] if args.baseline else []
    print(
        f"{args.rounds} rounds, every tree in turn in each: {args.users} users request at once "
        f"(25 notes, 3 files each), then {args.clients} keep-alive clients, {args.seconds:.0f} s "
        "a run; medians over the rounds"
    )
    with ExitStack() as stack:
        trees = []
        for name, root in [*named_trees, ("this tree", ROOT)]:
            ws = stack.enter_context(workspace())
            seed(ws, args.users)
            trees.append(Tree(name, root, ws))
        measure(trees, args)
    print(
        "| tree | archives | archives/s | request-to-start p50 s | p99 s | GET /healthz req/s "
        "| POST /api/archives req/s | POST p99 ms | POST/healthz | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in trees:
        print(
            f"| {t.name} | {sum(t.runs['archives']):.0f} | {t.median('per_second'):.1f} | "
            f"{t.median('start_p50'):.2f} | {t.median('start_p99'):.2f} | "
            f"{t.median('health'):.0f} | {t.median('post'):.0f} | {t.worst['post_p99']:.0f} | "
            f"{t.median('ratio'):.2f} | {t.worst['errors']:.0f} |",
            flush=True,
        )
    _print_cpu(trees)
    print("load average at the end:", os.getloadavg())
    if named_trees:
        base, this = trees
        pairs = zip(this.runs["per_second"], base.runs["per_second"], strict=True)
        ratios = sorted(round(a / b, 2) for a, b in pairs)
        print(
            f"\narchives/s: {statistics.median(ratios):.2f}x the baseline's "
            f"(median of the rounds' ratios {ratios})"
        )


def _print_cpu(trees: list[Tree]) -> None:
    """Print each phase's CPU per archive (burst) or per request, by process group; medians."""
    groups = ["web", "worker", "postgres", "redis (shared)", "load generator"]
    print("\nCPU ms per archive (burst) or per request (health, post), medians over the rounds:")
    print(f"| tree | phase | {' | '.join(groups)} | machine busy | statuses |")
    print("|---|---|" + "---:|" * (len(groups) + 1) + "---|")
    for t in trees:
        for phase in ("burst", "health", "post"):
            cells = " | ".join(f"{t.median(f'{phase} cpu {g}'):.2f}" for g in groups)
            statuses = ", ".join(
                f"{key.rsplit(' ', 1)[1]}: {t.median(key):.0f}"
                for key in sorted(t.runs)
                if key.startswith(f"{phase} status ")
            )
            busy = t.median(f"{phase} machine busy")
            print(f"| {t.name} | {phase} | {cells} | {busy:.0%} | {statuses} |")


if __name__ == "__main__":
    main()
