"""Index the activity trail by kind and time: the archive limits read it on every request.

Revision ID: 0006_edge
Revises: 0004_chain
Create Date: 2026-12-01 23:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_edge"
down_revision: str | None = "0004_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_activity_events_user_id_kind_created_at",
        "activity_events",
        ["user_id", "kind", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_activity_events_user_id_kind_created_at", table_name="activity_events")
