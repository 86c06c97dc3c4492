"""`flask users erase EMAIL`: an admin closes an account on its owner's behalf."""

from __future__ import annotations

import click

from webapp.auth.accounts import find_user
from webapp.auth.cli import users
from webapp.erasure import eraser
from webapp.erasure.schedule import request_erasure


@users.command("erase")
@click.argument("email")
@click.option("--now", is_flag=True, help="Erase at once instead of after ACCOUNT_ERASE_GRACE.")
def erase_cmd(email: str, now: bool) -> None:
    """Schedule an account's erasure (or run it now), as its owner could."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    user_id = user.id
    erase_at = request_erasure(user, delay=0 if now else None, by="admin")
    if not now:
        click.echo(f"{email} will be erased at {erase_at.isoformat()}")
        return
    outcome = eraser.erase(user_id)
    click.echo(f"{email}: {outcome}")
    if outcome != "erased":
        raise click.ClickException("not finished: the sweeper resumes it once its jobs stop")
