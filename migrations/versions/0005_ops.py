"""Build attempts (worker, start, end, outcome) for the timeline; the request id of a job.

Revision ID: 0005_ops
Revises: 0008_port
Create Date: 2026-12-01 21:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_ops"
down_revision: str | None = "0008_port"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("archive_jobs") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
    op.create_table(
        "archive_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["archive_jobs.id"],
            name=op.f("fk_archive_attempts_job_id_archive_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_attempts")),
    )
    op.create_index(
        "ix_archive_attempts_job_id_started_at",
        "archive_attempts",
        ["job_id", "started_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_archive_attempts_job_id_started_at", table_name="archive_attempts")
    op.drop_table("archive_attempts")
    with op.batch_alter_table("archive_jobs") as batch:
        batch.drop_column("request_id")
