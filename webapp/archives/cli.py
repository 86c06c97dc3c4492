"""`flask archives ...`: request, build, operate and verify archives from the shell."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from webapp.archives import actions, runner, sweeper, transitions
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.archives.selection import Selection
from webapp.archives.verify import verify_chain, verify_set
from webapp.auth.accounts import find_user
from webapp.auth.models import User
from webapp.extensions import db


@click.group(cls=AppGroup)
def archives() -> None:
    """Operate the archive queue."""


def _user(email: str) -> User:
    """Find an account or stop with a clear message."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    return user


def _job(job_id: str) -> ArchiveJob:
    """Find a job by id or stop with a clear message."""
    try:
        job = db.session.get(ArchiveJob, uuid.UUID(job_id))
    except ValueError:
        job = None
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    return job


INCREMENTAL = click.option(
    "--incremental", is_flag=True, help="Only what changed since the user's last archive."
)


def _selection(incremental: bool) -> Selection:
    """Everything, or everything since the user's last archive."""
    return Selection.parse({"incremental": incremental})


@archives.command("request")
@click.argument("email")
@INCREMENTAL
def request_cmd(email: str, incremental: bool) -> None:
    """Request an archive on a user's behalf, as the web does."""
    job, created = actions.request_archive(
        _user(email).id, ignore_cooldown=True, selection=_selection(incremental)
    )
    click.echo(f"{'queued' if created else 'already active'}: {job.id} ({job.status.value})")


@archives.command("build")
@click.argument("email")
@INCREMENTAL
def build_cmd(email: str, incremental: bool) -> None:
    """Build a user's archive in this process, with a progress bar."""
    user = _user(email)
    # No message: this process builds it, so no worker may race for the claim.
    job, _ = actions.request_archive(
        user.id, ignore_cooldown=True, enqueue_message=False, selection=_selection(incremental)
    )
    claim = transitions.claim(user.id, 600)
    if claim is None:
        raise click.ClickException(f"job {job.id} is already running in a worker")
    with click.progressbar(length=100, label="building", show_pos=True) as bar:
        heartbeat = transitions.Heartbeat(claim, 600)

        def progress(phase: str, done: int, total: int) -> None:
            """Renew the lease and move the bar."""
            heartbeat(phase, done, total)
            bar.update((done * 100 // total if total else 0) - bar.pos)

        outcome = runner.execute(claim, user, progress)
    db.session.refresh(job)
    continues = f" continues={job.continues_id}" if job.continues_id else ""
    click.echo(f"{outcome}: {job.id} size={job.size} sha256={job.sha256}{continues}")
    if outcome != "succeeded":
        sys.exit(1)


@archives.command("list")
@click.option(
    "--status",
    type=click.Choice([status.value for status in JobStatus]),
)
def list_cmd(status: str | None) -> None:
    """List jobs, newest first."""
    query = sa.select(ArchiveJob, User.email).join(User).order_by(ArchiveJob.requested_at.desc())
    if status:
        query = query.where(ArchiveJob.status == status)
    for job, email in db.session.execute(query.limit(500)):
        click.echo(
            f"{job.id}  {job.status.value:<9} {job.progress:>3}%  attempts={job.attempts}  "
            f"{email}  {job.error_code or ''}"
        )


@archives.command("retry")
@click.argument("job_id")
def retry_cmd(job_id: str) -> None:
    """Put a failed or cancelled job back in the queue."""
    if not actions.retry(_job(job_id)):
        raise click.ClickException("only failed or cancelled jobs can be retried")
    click.echo(f"requeued {job_id}")


@archives.command("cancel")
@click.argument("job_id")
def cancel_cmd(job_id: str) -> None:
    """Cancel a queued or running job."""
    if not actions.cancel(_job(job_id)):
        raise click.ClickException("the job has already finished")
    click.echo(f"cancel requested for {job_id}")


@archives.command("sweep")
def sweep_cmd() -> None:
    """Run the sweeper once."""
    click.echo(str(sweeper.sweep()))


@archives.command("purge")
def purge_cmd() -> None:
    """Run the purge once."""
    click.echo(str(sweeper.purge()))


@archives.command("verify")
@click.option("--chain", is_flag=True, help="The files are a full archive and its increments.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def verify_cmd(paths: tuple[Path, ...], chain: bool) -> None:
    """Check an archive offline, every part of it too; exit 0 only when all match."""
    report = verify_chain(paths) if chain else verify_set(paths)
    for problem in report.problems:
        click.echo(f"FAIL {problem}", err=True)
    if chain:
        scope = f"a chain of {len(paths)} archives in {report.parts} files, "
    else:
        scope = f"{report.parts} parts, " if report.parts > 1 else ""
    verdict = "OK" if report.ok else "FAILED"
    click.echo(f"{verdict}: {scope}{report.checked} members match their manifests")
    sys.exit(0 if report.ok else 1)
