"""Fixtures: real PostgreSQL and Redis (local, or private from wheels), a real Celery worker."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from celery.contrib.testing.worker import start_worker
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.serving import make_server

from tests.support import services
from tests.support.jobs import settle_jobs
from tests.support.migrations import migrate
from tests.support.s3 import S3Server, use_test_credentials
from tests.support.settings import (
    LARGE_QUEUE,
    LIMITS_PREFIX,
    QUEUE,
    REDIS_TEST_DB,
    SECRET,
    TABLES,
)
from webapp import create_app
from webapp.extensions import db


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """URL of a PostgreSQL server's maintenance database."""
    return services.postgres_url()


@pytest.fixture(scope="session")
def make_database(postgres_server: str) -> Iterator[Callable[[], str]]:
    """Create empty databases on the server, dropped when the session ends."""
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"keepsake_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return str(sa.make_url(postgres_server).set(database=name))

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_base() -> str:
    """URL of a Redis server (without a database number)."""
    return services.redis_url()


@pytest.fixture(scope="session")
def broker_url(redis_base: str) -> str:
    """The tests' Redis database; this session's keys carry SESSION in their names."""
    return f"{redis_base.rstrip('/')}/{REDIS_TEST_DB}"


@pytest.fixture(scope="session")
def database_url(make_database: Callable[[], str]) -> str:
    """A fresh database migrated to head by Alembic."""
    url = make_database()
    migrate(url)
    return url


@pytest.fixture(scope="session")
def app(database_url: str, broker_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app on PostgreSQL and Redis, with its own queue and no cooldown."""
    files = tmp_path_factory.mktemp("files")
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(files / "uploads"),
            "ARCHIVE_DIR": str(files / "archives"),
            "ARCHIVE_COOLDOWN": 0,
            "ARCHIVE_LARGE_QUEUE": LARGE_QUEUE,
            "RATELIMIT_KEY_PREFIX": LIMITS_PREFIX,
            "CELERY": {
                "broker_url": broker_url,
                "result_backend": broker_url,
                "task_default_queue": QUEUE,
            },
        }
    )


@pytest.fixture
def clean_state(app: Flask, broker_url: str) -> Iterator[Flask]:
    """Empty tables, folders and queue, and make this app Celery's current one."""
    celery_app = app.extensions["celery"]
    celery_app.set_current()
    celery_app.set_default()
    defaults = dict(app.config)
    with app.app_context():
        # DELETE, not TRUNCATE: a late message's task may hold a read lock, and TRUNCATE's
        # exclusive lock queued behind it would block that task's next query: a lock cycle
        # across two connections of one client that PostgreSQL cannot detect. Ids also keep
        # growing, so a stale message never matches a later test's user.
        db.session.execute(sa.text("SET LOCAL lock_timeout = '20s'"))
        for table in TABLES:
            db.session.execute(sa.text(f"DELETE FROM {table}"))
        db.session.commit()
    for key in ("UPLOAD_DIR", "ARCHIVE_DIR"):
        shutil.rmtree(app.config[key], ignore_errors=True)
        os.makedirs(app.config[key])
    broker = redis.Redis.from_url(broker_url)
    broker.delete(QUEUE, LARGE_QUEUE)
    for key in broker.scan_iter(f"*{LIMITS_PREFIX}*"):  # throttling counts of earlier tests
        broker.delete(key)
    yield app
    app.config.clear()
    app.config.update(defaults)
    settle_jobs(app)


@pytest.fixture
def live_server(clean_state: Flask) -> Iterator[str]:
    """Serve the app on a real loopback port, for browsers and header-level HTTP tests."""
    server = make_server("127.0.0.1", 0, clean_state, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(scope="session")
def worker(app: Flask) -> Iterator[Any]:
    """A real Celery worker consuming the real Redis queue, in a thread."""
    with start_worker(
        app.extensions["celery"],
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        shutdown_timeout=30,
    ) as running:
        yield running


@pytest.fixture
def client(clean_state: Flask) -> FlaskClient:
    """A browser-like client with its own cookie jar."""
    return clean_state.test_client()


@pytest.fixture
def runner(clean_state: Flask) -> FlaskCliRunner:
    """Invoke `flask ...` commands of the app."""
    return clean_state.test_cli_runner()


@pytest.fixture
def paused_worker(clean_state: Flask, worker: Any) -> Iterator[Any]:
    """The worker, told through Celery's remote control to stop taking messages for a while."""
    control = clean_state.extensions["celery"].control
    target = [worker.hostname]
    assert control.cancel_consumer(QUEUE, destination=target, reply=True, timeout=5)
    yield worker
    assert control.add_consumer(QUEUE, destination=target, reply=True, timeout=5)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on loopback for the whole session (tests that stop it make their own)."""
    use_test_credentials()
    server = S3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, clean_state: Flask) -> Iterator[Flask]:
    """The app on each storage backend (clean_state restores its settings afterwards)."""
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("s3_server")
        clean_state.config.update(server.settings(server.new_bucket()))
    clean_state.extensions.pop("storage", None)
    yield clean_state
    clean_state.extensions.pop("storage", None)
