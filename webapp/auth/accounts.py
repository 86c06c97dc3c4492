"""Account lookups and changes shared by the views and the CLI."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.auth.passwords import hash_password
from webapp.extensions import db


def normalize_email(email: str) -> str:
    """Fold an email to the one form the unique index compares."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """Return the account with this email, whatever its case."""
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def create_user(email: str, password: str, *, is_admin: bool = False) -> User:
    """Add a new account to the session (the caller commits)."""
    address = normalize_email(email)
    user = User(
        email=address,
        password_hash=hash_password(password),
        display_name=address.split("@", 1)[0][:100],
        is_admin=is_admin,
    )
    db.session.add(user)
    return user
