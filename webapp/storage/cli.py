"""`flask storage check [--remove]`: compare the store with the tables."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.storage import orphans


@click.group(cls=AppGroup)
def storage() -> None:
    """Look after uploads and archives in the store."""


@storage.command("check")
@click.option("--remove", is_flag=True, help="Remove what is found, as the beat task does.")
def check_cmd(remove: bool) -> None:
    """Report files without rows and rows without files (older than STORAGE_ORPHAN_GRACE)."""
    for line in orphans.check(remove).lines():
        click.echo(line)
