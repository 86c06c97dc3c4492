"""An increment's condition is built from watermark tokens alone, so it must parse them strictly."""

from __future__ import annotations

import pytest

from webapp.archives.watermark import comparable, newer


def test_sqlite_rows_are_newer_past_the_previous_counter() -> None:
    assert newer("seq:41", "seq:57") == "change_seq > 41"


def test_postgres_rows_are_newer_when_their_writer_is_unseen_by_the_previous_snapshot() -> None:
    condition = newer("pg:100:104:100,102", "pg:110:110:")
    assert condition.startswith("NOT pg_visible_in_snapshot(")
    assert "'100:104:100,102'::pg_snapshot" in condition
    # Epoch 0: an xmin at or above xmax's low bits cannot be seen, and is never pushed below 0.
    assert "CASE WHEN xmin::text::bigint < 110 THEN 0 ELSE 0 END" in condition


def test_an_xmin_is_widened_into_the_current_epoch_or_the_one_before() -> None:
    epoch = 1 << 32
    condition = newer("pg:5:5:", f"pg:{epoch + 7}:{epoch + 9}:")
    assert f"CASE WHEN xmin::text::bigint < 9 THEN {epoch} ELSE 0 END" in condition
    later = newer("pg:5:5:", f"pg:{3 * epoch}:{3 * epoch + 9}:")
    assert f"THEN {3 * epoch} ELSE {2 * epoch} END" in later


@pytest.mark.parametrize(
    ("previous", "current"),
    [
        ("seq:4", "pg:1:1:"),
        ("pg:1:2:", "seq:9"),
        ("pg:1:2:3'); DROP TABLE notes; --", "pg:1:2:"),
        ("seq:4 OR 1=1", "seq:5"),
        ("", "seq:5"),
    ],
)
def test_tokens_that_do_not_parse_or_match_are_refused(previous: str, current: str) -> None:
    with pytest.raises(ValueError):
        newer(previous, current)


def test_only_tokens_of_one_kind_of_database_follow_each_other() -> None:
    assert comparable("seq:1", "seq:9") and comparable("pg:1:1:", "pg:2:2:")
    assert not comparable("seq:1", "pg:2:2:")
