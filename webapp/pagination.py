"""Newest-first pages of a user's rows, so huge accounts still list quickly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from webapp.extensions import db

T = TypeVar("T")
PER_PAGE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows and where it sits among all of them."""

    items: list[T]
    number: int
    total: int

    @property
    def has_next(self) -> bool:
        """Tell whether rows remain after this page."""
        return self.number * PER_PAGE < self.total


def paginate(model: Any, user_id: int, page_arg: str | None) -> Page[Any]:
    """Return page `page_arg` (1-based; junk means 1) of the user's rows of `model`."""
    number = int(page_arg) if page_arg and page_arg.isdigit() and int(page_arg) > 0 else 1
    owned = model.user_id == user_id
    total = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(owned)) or 0
    rows = db.session.scalars(
        sa.select(model)
        .where(owned)
        .order_by(model.id.desc())
        .limit(PER_PAGE)
        .offset((number - 1) * PER_PAGE)
    )
    return Page(list(rows), number, total)
