"""Password hashing and the rules a new password must meet."""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum for Argon2id: m=19 MiB, t=2, p=1. We go above it.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024 * 2, parallelism=1)
MIN_LENGTH = 10
MAX_LENGTH = 1024
# Verifying against this keeps an unknown email as slow as a wrong password.
_DUMMY_HASH = HASHER.hash("keepsake-timing-equaliser")


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password in constant time, also when there is no account."""
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a hash was made with weaker parameters than today's."""
    return HASHER.check_needs_rehash(password_hash)


@cache
def _common_passwords() -> frozenset[str]:
    """Load the shipped list of common passwords once."""
    text = resources.files("webapp").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, email: str) -> str | None:
    """Return why a new password is unacceptable, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if password.strip().lower() == email.strip().lower():
        return "Your password must not be your email address."
    if password.lower() in _common_passwords():
        return "This password is too common; choose another."
    return None
