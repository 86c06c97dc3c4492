"""`flask demo seed`: fill an account with generated data for demos and benchmarks."""

from __future__ import annotations

import secrets
import time

import click
from flask.cli import AppGroup

from webapp.auth.accounts import create_user, find_user
from webapp.extensions import db
from webapp.notes.seed import TEXTS, seed_files, seed_notes


@click.group(cls=AppGroup)
def demo() -> None:
    """Generate demo data."""


@demo.command("seed")
@click.argument("email")
@click.option("--notes", "note_count", type=click.IntRange(min=0), default=20, show_default=True)
@click.option("--files", "file_count", type=click.IntRange(min=0), default=3, show_default=True)
@click.option("--file-kib", type=click.IntRange(min=0), default=64, show_default=True)
@click.option(
    "--text",
    type=click.Choice(TEXTS),
    default="simple",
    show_default=True,
    help="realistic: Zipf-distributed prose that compresses like real writing (benchmarks).",
)
@click.option("--password", help="Password for a new account; random when omitted.")
@click.option("--if-new", is_flag=True, help="Do nothing when the account exists already.")
def seed(
    email: str,
    note_count: int,
    file_count: int,
    file_kib: int,
    text: str,
    password: str | None,
    if_new: bool,
) -> None:
    """Create EMAIL if needed and add generated notes and files to it."""
    started = time.perf_counter()
    user = find_user(email)
    if user is not None and if_new:
        click.echo(f"{user.email} exists; left as it is")
        return
    if user is None:
        chosen = password or secrets.token_urlsafe(12)
        user = create_user(email, chosen)
        db.session.flush()
        click.echo(f"created {user.email} with password {chosen}")
    seed_notes(user.id, note_count, text)
    seed_files(user.id, file_count, file_kib * 1024)
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(
        f"seeded {note_count} notes and {file_count} files for {user.email} in {elapsed:.1f}s"
    )
