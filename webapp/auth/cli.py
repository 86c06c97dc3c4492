"""`flask users ...`: manage accounts from the shell."""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup

from webapp.auth.accounts import create_user, find_user
from webapp.auth.passwords import password_problem
from webapp.extensions import db


@click.group(cls=AppGroup)
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.argument("email")
@click.option("--password", help="Password; a random one is made and printed when omitted.")
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
def create(email: str, password: str | None, admin: bool) -> None:
    """Create an account."""
    if find_user(email) is not None:
        raise click.ClickException(f"an account for {email} already exists")
    chosen = password or secrets.token_urlsafe(12)
    problem = password_problem(chosen, email)
    if problem:
        raise click.ClickException(problem)
    create_user(email, chosen, is_admin=admin)
    db.session.commit()
    click.echo(f"created {email}" + ("" if password else f" with password {chosen}"))
