"""Chains of imports: the chain each import belongs to, and what an increment changed.

Revision ID: 0007_increments
Revises: 0003_shape
Create Date: 2026-12-07 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_increments"
down_revision: str | None = "0003_shape"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("changed_notes", "deleted_notes", "deleted_files")


def upgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(sa.Column("source_root", sa.String(length=64), nullable=True))
        for name in COUNTS:
            batch.add_column(
                sa.Column(name, sa.BigInteger(), server_default=sa.text("0"), nullable=False)
            )


def downgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        for name in reversed(COUNTS):
            batch.drop_column(name)
        batch.drop_column("source_root")
