"""PostgreSQL's COPY path writes the same data as the portable record-by-record path."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from flask import Flask

from webapp.archives.builder.encoding import CsvSpool, json_array, json_array_from_lines
from webapp.archives.contents import SECTIONS
from webapp.auth.accounts import create_user
from webapp.auth.activity import record
from webapp.extensions import db
from webapp.notes.models import Note

TRICKY = [
    "=1+2",
    "-neg",
    "@at",
    "\ttab",
    "\rcr",
    'quote " comma, ;',
    "line\nbreak",
    "back\\slash",
    "ünïcødé ☃",
    "</script>",
    "\x01control\x02",
]


def normalise(value: Any) -> Any:
    """Compare instants, not their spelling (COPY drops trailing zeros of microseconds)."""
    if isinstance(value, str) and len(value) > 18 and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def test_copy_output_matches_records_for_notes_and_activity(clean_state: Flask) -> None:
    with clean_state.app_context():
        user = create_user("bulk@example.com", "a long enough password")
        db.session.flush()
        for i, text in enumerate(TRICKY):
            db.session.add(Note(user_id=user.id, title=text, body=f"{text} #{i}"))
            record(user.id, "probe", text)
        db.session.commit()
        for section in (s for s in SECTIONS if s.bulk is not None):
            with db.engine.connect() as conn, conn.begin():
                conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
                assert section.bulk is not None and section.bulk.available(conn)
                bulk_json = b"".join(
                    json_array_from_lines(section.bulk.json_lines(conn, user.id), lambda _: None)
                )
                bulk_csv = b"".join(section.bulk.csv(conn, user.id))
                spool_file = io.BytesIO()
                spool = CsvSpool(tuple(f.name for f in section.fields), spool_file)
                plain_json = b"".join(json_array(section.records(conn, user.id), spool.add))
                plain_csv = b"".join(spool.chunks())
            bulk, plain = orjson.loads(bulk_json), orjson.loads(plain_json)
            assert len(bulk) == len(plain) >= len(TRICKY)
            assert [{k: normalise(v) for k, v in r.items()} for r in bulk] == [
                {k: normalise(v) for k, v in r.items()} for r in plain
            ]
            rows = [list(csv.reader(io.StringIO(text.decode()))) for text in (bulk_csv, plain_csv)]
            assert [[normalise(c) for c in row] for row in rows[0]] == [
                [normalise(c) for c in row] for row in rows[1]
            ]
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == len(TRICKY)
