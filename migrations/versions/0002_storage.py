"""CRC-32 of every upload, recorded with its SHA-256 so stored ZIP members need no pre-pass.

Existing rows are backfilled by streaming each stored file once through the configured
storage backend (constant memory). A row whose file is already missing keeps NULL; the
orphan check (`flask storage check`) reports it.

Revision ID: 0002_storage
Revises: 0006_edge
Create Date: 2026-12-01 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from isal import isal_zlib

from webapp.notes.storage import open_upload

revision: str = "0002_storage"
down_revision: str | None = "0006_edge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 1024 * 1024
BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("crc32", sa.BigInteger(), nullable=True))
    _backfill()


def _backfill() -> None:
    """Compute the CRC-32 of every stored upload, a batch of rows at a time."""
    conn = op.get_bind()
    attachments = sa.table(
        "attachments", sa.column("id", sa.Integer), sa.column("storage_key"), sa.column("crc32")
    )
    last = 0
    while rows := conn.execute(
        sa.select(attachments.c.id, attachments.c.storage_key)
        .where(attachments.c.id > last, attachments.c.crc32.is_(None))
        .order_by(attachments.c.id)
        .limit(BATCH)
    ).all():
        for row_id, key in rows:
            crc = _crc32(key)
            if crc is not None:
                conn.execute(
                    sa.update(attachments).where(attachments.c.id == row_id).values(crc32=crc)
                )
        last = rows[-1][0]


def _crc32(key: str) -> int | None:
    """Stream one stored file through CRC-32; None when it is not there."""
    crc = 0
    try:
        with open_upload(key) as source:
            while chunk := source.read(CHUNK):
                crc = isal_zlib.crc32(chunk, crc)
    except FileNotFoundError:
        return None
    return crc


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("crc32")
