"""Which chain an archive belongs to in this account, and whether the link it continues is here.

An increment's records are the same records as those of the archives before it: a note it
lists may have been added by any earlier link. So every import records its chain's root (the
full archive it started from), and an increment finds its records among every link of that
root this account has imported.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from webapp.archives.models import JobStatus
from webapp.imports.models import ImportJob
from webapp.imports.refusal import ImportRefused

jobs = ImportJob.__table__


@dataclass(frozen=True)
class Lineage:
    """An archive's place in its chain: its root, and the links of that chain already imported."""

    sha256: str
    root: str
    links: tuple[str, ...]
    increment: bool

    @property
    def family(self) -> tuple[str, ...]:
        """The sources whose records this archive may change: itself and every imported link."""
        return (self.sha256, *(link for link in self.links if link != self.sha256))

    @property
    def already_imported(self) -> bool:
        """Tell whether this very archive was imported before (then nothing is done again)."""
        return self.sha256 in self.links


def trace(conn: Connection, user_id: int, sha256: str, continues: str | None) -> Lineage:
    """Place an archive in its chain, or refuse an increment whose predecessor is not here."""
    if continues is None:
        # A full archive adds what it holds and changes nothing: it is its own chain's root.
        return Lineage(sha256, sha256, (), increment=False)
    query = sa.select(jobs.c.sha256, jobs.c.source_root).where(
        _imported(user_id), jobs.c.sha256 == continues
    )
    before = conn.execute(query.limit(1)).first()
    if before is None:
        raise ImportRefused(
            "unsupported_version",
            "This archive is an increment: it continues an archive (SHA-256 "
            f"{continues[:16]}...) that this account has not imported. Import the chain in "
            "order, starting with its full archive.",
        )
    root = before.source_root or before.sha256
    return Lineage(sha256, root, _links(conn, user_id, root), increment=True)


def _imported(user_id: int) -> sa.ColumnElement[bool]:
    """Match this account's imports that succeeded."""
    return sa.and_(jobs.c.user_id == user_id, jobs.c.status == JobStatus.SUCCEEDED)


def _links(conn: Connection, user_id: int, root: str) -> tuple[str, ...]:
    """Every archive of the chain from `root` imported here (an older import is its own root)."""
    query = sa.select(jobs.c.sha256).where(
        _imported(user_id), sa.func.coalesce(jobs.c.source_root, jobs.c.sha256) == root
    )
    return tuple(sorted(set(conn.scalars(query))))
