"""Unbound extensions and the Celery wiring of the Flask docs' pattern."""

from __future__ import annotations

import sqlite3
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraints get predictable names for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app whose tasks all run inside the Flask app context."""

    class FlaskTask(Task):  # type: ignore[misc]
        """A task that always runs inside the Flask app context."""

        def __call__(self, *args: object, **kwargs: object) -> object:
            """Run the task inside the app context, so it can use db.session and config."""
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    _dispose_engines_after_fork(app)
    return celery_app


def _dispose_engines_after_fork(app: Flask) -> None:
    """Give each forked pool child its own connections, never the parent's sockets."""

    def dispose(**_: Any) -> None:
        """Drop the pooled connections inherited from the parent process."""
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)

    worker_process_init.connect(dispose, weak=False)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Let SQLite readers and the heartbeat writer work at once, and enforce foreign keys."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
