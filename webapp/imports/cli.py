"""`flask imports ...`: import an archive into an account from the shell, and list imports."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from webapp.archives.rows import reloaded
from webapp.auth.accounts import find_user
from webapp.auth.models import User
from webapp.extensions import db
from webapp.imports import actions, runner, transitions
from webapp.imports.models import ImportJob

LEASE = 600


@click.group(cls=AppGroup)
def imports() -> None:
    """Import archives and look at imports."""


@imports.command("run")
@click.argument("email")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def run_cmd(email: str, paths: tuple[Path, ...]) -> None:
    """Import FILE.zip, or an index part and its parts, into EMAIL's account (progress bar)."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    try:
        with ExitStack() as stack:
            files = [(path.name, stack.enter_context(path.open("rb"))) for path in paths]
            # No message: this process runs it, so no worker may race for the claim.
            job = actions.start_import(user.id, files, enqueue_message=False)
    except actions.ImportActive as active:
        raise click.ClickException(active.message) from active
    claim = transitions.claim(job.id, LEASE)
    if claim is None:
        raise click.ClickException(f"import {job.id} was taken by a worker")
    with click.progressbar(length=100, label="importing", show_pos=True) as bar:

        def move_bar(phase: str, done: int, total: int) -> None:
            """Show each report on the bar."""
            bar.label = phase
            bar.update((done * 100 // total if total else 0) - bar.pos)

        outcome = runner.execute(claim, transitions.Heartbeat(claim, LEASE, shown=move_bar))
    job = reloaded(ImportJob, job.id)
    if outcome != "succeeded":
        click.echo(f"{outcome}: {job.id} {job.error_code or ''} {job.error or ''}", err=True)
        sys.exit(1)
    click.echo(
        f"succeeded: {job.id} added {job.added_notes} notes, {job.added_files} files; "
        f"skipped {job.skipped_notes} notes, {job.skipped_files} files (already imported)"
    )
    if job.changed_notes or job.deleted_notes or job.deleted_files:
        click.echo(
            f"increment: changed {job.changed_notes} notes; "
            f"deleted {job.deleted_notes} notes, {job.deleted_files} files"
        )


@imports.command("list")
def list_cmd() -> None:
    """List imports, newest first."""
    query = sa.select(ImportJob, User.email).join(User).order_by(ImportJob.requested_at.desc())
    for job, email in db.session.execute(query.limit(500)):
        click.echo(
            f"{job.id}  {job.status.value:<9} {job.progress:>3}%  attempts={job.attempts}  "
            f"{email}  added={job.added_notes}+{job.added_files}  {job.error_code or ''}"
        )
