"""Import jobs, the source of imported records, and the erasure schedule.

Revision ID: 0008_port
Revises: 0001
Create Date: 2026-12-01 21:51:35.053030
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_port"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("items_done", sa.BigInteger(), nullable=False),
        sa.Column("items_total", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("upload_key", sa.String(length=80), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_format", sa.String(length=40), nullable=True),
        sa.Column("source_version", sa.Integer(), nullable=True),
        sa.Column("source_email", sa.String(length=254), nullable=True),
        sa.Column("added_notes", sa.BigInteger(), nullable=False),
        sa.Column("added_files", sa.BigInteger(), nullable=False),
        sa.Column("skipped_notes", sa.BigInteger(), nullable=False),
        sa.Column("skipped_files", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired')",
            name=op.f("ck_import_jobs_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_import_jobs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_index("ix_import_jobs_status", "import_jobs", ["status"], unique=False)
    op.create_index(
        "ix_import_jobs_user_id_requested_at",
        "import_jobs",
        ["user_id", "requested_at"],
        unique=False,
    )
    op.create_index(
        "uq_import_jobs_one_active_per_user",
        "import_jobs",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        sqlite_where=sa.text("status IN ('queued', 'running')"),
    )
    # The audit record of an erased account belongs to no user.
    with op.batch_alter_table("activity_events") as batch:
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
    op.add_column("attachments", sa.Column("source_sha256", sa.String(length=64), nullable=True))
    op.add_column("attachments", sa.Column("source_id", sa.BigInteger(), nullable=True))
    op.create_index(
        "uq_attachments_source",
        "attachments",
        ["user_id", "source_sha256", "source_id"],
        unique=True,
    )
    op.add_column("notes", sa.Column("source_sha256", sa.String(length=64), nullable=True))
    op.add_column("notes", sa.Column("source_id", sa.BigInteger(), nullable=True))
    op.create_index(
        "uq_notes_source", "notes", ["user_id", "source_sha256", "source_id"], unique=True
    )
    op.add_column("users", sa.Column("erase_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "erase_at")
    op.drop_index("uq_notes_source", table_name="notes")
    op.drop_column("notes", "source_id")
    op.drop_column("notes", "source_sha256")
    op.drop_index("uq_attachments_source", table_name="attachments")
    op.drop_column("attachments", "source_id")
    op.drop_column("attachments", "source_sha256")
    op.execute("DELETE FROM activity_events WHERE user_id IS NULL")
    with op.batch_alter_table("activity_events") as batch:
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index(
        "uq_import_jobs_one_active_per_user",
        table_name="import_jobs",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        sqlite_where=sa.text("status IN ('queued', 'running')"),
    )
    op.drop_index("ix_import_jobs_user_id_requested_at", table_name="import_jobs")
    op.drop_index("ix_import_jobs_status", table_name="import_jobs")
    op.drop_table("import_jobs")
