"""Column types shared by every model."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes: they would be stored in an unknown zone."""
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Give back aware UTC datetimes whatever the backend returned."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


def values_sql(members: Iterable[StrEnum]) -> str:
    """Quote enum values for a CHECK constraint or a partial index's WHERE."""
    return ", ".join(f"'{member.value}'" for member in members)


class StrEnumType(TypeDecorator[E], Generic[E]):
    """A StrEnum stored as plain text, so the schema (VARCHAR + CHECK) stays portable."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        """Remember the enum; the column is VARCHAR(length)."""
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        """Refuse values outside the enum before the database has to."""
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        """Give back enum members, not bare strings."""
        return None if value is None else self.enum(value)
