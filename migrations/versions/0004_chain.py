"""Parts, watermarks and chains of archives, schedules, and SQLite's change counter.

Revision ID: 0004_chain
Revises: 0005_ops
Create Date: 2026-12-01 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_chain"
down_revision: str | None = "0005_ops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite lets one transaction write at a time, so a counter bumped inside every write
# numbers changes in commit order: what a build's snapshot did not see has a larger number.
# PostgreSQL needs no counter: its snapshots say which transactions a build saw (watermark.py).
COUNTED = ("notes", "attachments", "activity_events")
STAMP = """
CREATE TRIGGER {table}_change_{when} AFTER {event} ON {table}
BEGIN
    UPDATE change_counter SET seq = seq + 1;
    UPDATE {table} SET change_seq = (SELECT seq FROM change_counter) WHERE id = NEW.id;
END
"""


def upgrade() -> None:
    with op.batch_alter_table("archive_jobs") as batch:
        batch.add_column(sa.Column("parts", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("watermark", sa.Text(), nullable=True))
        batch.add_column(sa.Column("continues_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("continues_sha256", sa.String(length=64), nullable=True))
    for table in COUNTED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("change_seq", sa.BigInteger(), nullable=True))
    op.create_table(
        "archive_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("every_months", sa.Integer(), nullable=False),
        sa.Column("selection", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "every_months IN (1, 2, 3)", name=op.f("ck_archive_schedules_every_months_known")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_archive_schedules_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_schedules")),
        sa.UniqueConstraint("user_id", name=op.f("uq_archive_schedules_user_id")),
    )
    op.create_index(
        "ix_archive_schedules_next_run_at", "archive_schedules", ["next_run_at"], unique=False
    )
    if op.get_bind().dialect.name == "sqlite":
        _create_sqlite_counter()


def _create_sqlite_counter() -> None:
    op.execute("CREATE TABLE change_counter (seq INTEGER NOT NULL)")
    op.execute("INSERT INTO change_counter (seq) VALUES (0)")
    for table in COUNTED:
        op.execute(STAMP.format(table=table, when="insert", event="INSERT"))
    # Only notes change in place; files and events are only ever added.
    op.execute(STAMP.format(table="notes", when="update", event="UPDATE OF title, body"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in COUNTED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_change_insert")
        op.execute("DROP TRIGGER IF EXISTS notes_change_update")
        op.execute("DROP TABLE change_counter")
    op.drop_index("ix_archive_schedules_next_run_at", table_name="archive_schedules")
    op.drop_table("archive_schedules")
    for table in COUNTED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("change_seq")
    with op.batch_alter_table("archive_jobs") as batch:
        batch.drop_column("continues_sha256")
        batch.drop_column("continues_id")
        batch.drop_column("watermark")
        batch.drop_column("parts")
