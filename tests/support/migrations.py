"""Run Alembic as an admin would, against a given database."""

from __future__ import annotations

import os

from alembic import command
from alembic.config import Config

from tests.support.settings import ROOT, SECRET


def alembic(database_url: str, name: str, *args: str) -> None:
    """Run an Alembic command exactly as an admin would, against the given database."""
    saved = {k: os.environ.get(k) for k in ("FLASK_SQLALCHEMY_DATABASE_URI", "FLASK_SECRET_KEY")}
    os.environ.update(FLASK_SQLALCHEMY_DATABASE_URI=database_url, FLASK_SECRET_KEY=SECRET)
    try:
        getattr(command, name)(Config(str(ROOT / "alembic.ini")), *args)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def migrate(database_url: str, revision: str = "head", downgrade: bool = False) -> None:
    """Upgrade (or downgrade) the given database to a revision."""
    alembic(database_url, "downgrade" if downgrade else "upgrade", revision)
