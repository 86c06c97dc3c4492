"""Alembic runs against the app's own engine and metadata, never a second config."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

import webapp.models  # noqa: F401  (every table in db.metadata)
from webapp import create_app
from webapp.archives.watermark import UNMODELLED_TABLES
from webapp.extensions import db
from webapp.types import UTCDateTime

# An arbitrary constant: two `alembic upgrade` at once wait here instead of colliding.
MIGRATION_LOCK_ID = 0x6B656570


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write the app's UTC column type as the plain DateTime it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave out tables a migration keeps up by hand (SQLite's change counter)."""
    return not (type_ == "table" and name in UNMODELLED_TABLES)


def run_migrations() -> None:
    """Migrate the database the app is configured for."""
    app = create_app()
    with app.app_context():
        try:
            _migrate()
        finally:
            db.engine.dispose()  # a migration is a one-off: keep no pooled connection open


def _migrate() -> None:
    with db.engine.connect() as connection:
        is_postgres = connection.dialect.name == "postgresql"
        if is_postgres:
            connection.execute(sa.text("SET lock_timeout = '10s'"))
            connection.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=db.metadata,
                compare_type=True,
                render_as_batch=connection.dialect.name == "sqlite",
                render_item=render_item,
                include_name=include_name,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if is_postgres:
                connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID}
                )
                connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run against a database")
run_migrations()
