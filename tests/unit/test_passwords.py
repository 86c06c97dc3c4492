"""The rules a new password must meet, and the hashes that hold it."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from webapp.auth.passwords import hash_password, needs_rehash, password_problem, verify_password


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 10"),
        ("Alice@Example.com", "email"),
        ("password123", "too common"),
        ("QWERTYUIOP", "too common"),
        ("a" * 1025, "at most"),
    ],
)
def test_weak_passwords_are_refused(password: str, problem: str) -> None:
    assert problem in (password_problem(password, "alice@example.com") or "")


def test_a_good_password_passes() -> None:
    assert password_problem("purple elephants dance", "alice@example.com") is None


def test_hash_round_trip_and_unknown_accounts_fail() -> None:
    stored = hash_password("purple elephants dance")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "purple elephants dance")
    assert not verify_password(stored, "purple elephants dancE")
    assert not verify_password(None, "purple elephants dance")


def test_weaker_hashes_are_marked_for_upgrade() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("x" * 12)
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("x" * 12))
