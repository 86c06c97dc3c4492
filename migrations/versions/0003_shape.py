"""Data that changes and exports that fit: tombstones, note sizes, the job's selection.

Revision ID: 0003_shape
Revises: 0002_storage
Create Date: 2026-12-07 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_shape"
down_revision: str | None = "0002_storage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVERYTHING = (
    '{"sections": ["profile", "notes", "files", "activity"], '
    '"since": null, "until": null, "incremental": false}'
)
STAMP = """
CREATE TRIGGER {table}_change_{when} AFTER {event} ON {table}
BEGIN
    UPDATE change_counter SET seq = seq + 1;
    UPDATE {table} SET change_seq = (SELECT seq FROM change_counter) WHERE id = NEW.id;
END
"""
TEXT_BYTES = {
    # Spelled as PostgreSQL reflects it back, so `alembic check` sees no drift.
    "postgresql": "octet_length((title)::text) + octet_length(body)",
    "sqlite": "length(CAST(title AS BLOB)) + length(CAST(body AS BLOB))",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "section IN ('notes', 'files')", name=op.f("ck_tombstones_section_known")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_tombstones_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tombstones")),
    )
    op.create_index(
        "ix_tombstones_user_id_deleted_at", "tombstones", ["user_id", "deleted_at"], unique=False
    )
    if dialect == "sqlite":
        # Numbered like every other write (0004_chain), so an increment can find new deletions.
        op.execute(STAMP.format(table="tombstones", when="insert", event="INSERT"))
    # SQLite can add only a VIRTUAL generated column in place; PostgreSQL only a STORED one.
    computed = sa.Computed(sa.text(TEXT_BYTES[dialect]), persisted=dialect != "sqlite")
    with op.batch_alter_table("notes") as batch:
        batch.add_column(sa.Column("text_bytes", sa.Integer(), computed, nullable=False))
    op.create_index(
        "ix_notes_user_id_created_at",
        "notes",
        ["user_id", "created_at", "text_bytes"],
        unique=False,
    )
    op.create_index(
        "ix_attachments_user_id_created_at",
        "attachments",
        ["user_id", "created_at", "size"],
        unique=False,
    )
    with op.batch_alter_table("archive_jobs") as batch:
        batch.add_column(
            sa.Column(
                "selection", sa.JSON(), server_default=sa.text(f"'{EVERYTHING}'"), nullable=False
            )
        )
        batch.add_column(sa.Column("estimated_size", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("archive_jobs") as batch:
        batch.drop_column("estimated_size")
        batch.drop_column("selection")
    op.drop_index("ix_attachments_user_id_created_at", table_name="attachments")
    op.drop_index("ix_notes_user_id_created_at", table_name="notes")
    with op.batch_alter_table("notes") as batch:
        batch.drop_column("text_bytes")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS tombstones_change_insert")
    op.drop_index("ix_tombstones_user_id_deleted_at", table_name="tombstones")
    op.drop_table("tombstones")
