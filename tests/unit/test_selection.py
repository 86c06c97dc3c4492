"""Reading a selection: what users may ask for, and the words they get when it is wrong."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from webapp.archives.contents import SECTIONS
from webapp.archives.selection import SECTION_NAMES, Selection, from_query


def test_no_body_or_an_empty_one_means_everything() -> None:
    assert Selection.parse(None) == Selection.parse({}) == Selection.everything()
    assert Selection.everything().to_json() == {
        "sections": ["profile", "notes", "files", "activity"],
        "since": None,
        "until": None,
        "incremental": False,
    }


def test_profile_is_always_included_and_sections_keep_archive_order() -> None:
    chosen = Selection.parse({"sections": ["activity", "notes"]})
    assert chosen.ordered_sections == ("profile", "notes", "activity")
    assert Selection.parse({"sections": []}).ordered_sections == ("profile",)


def test_times_without_a_zone_are_utc_and_written_back_with_z() -> None:
    chosen = Selection.parse({"since": "2025-01-01", "until": "2025-06-01T12:00:00+02:00"})
    assert chosen.since == datetime(2025, 1, 1, tzinfo=UTC)
    assert chosen.until == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert chosen.to_json()["until"] == "2025-06-01T10:00:00Z"


def test_a_stored_selection_reads_back_as_itself() -> None:
    chosen = Selection.parse({"sections": ["files"], "since": "2025-01-01T00:00:00Z"})
    assert Selection.parse(chosen.to_json()) == chosen


def test_query_parameters_spell_sections_with_commas_and_flags_as_text() -> None:
    chosen = from_query({"sections": "notes, files", "incremental": "true"})
    assert chosen.ordered_sections == ("profile", "notes", "files") and chosen.incremental


@pytest.mark.parametrize(
    ("mapping", "words"),
    [
        ({"sections": ["notes", "photos"]}, "Unknown section: photos"),
        ({"sections": "notes"}, "list of section names"),
        ({"sections": [1]}, "list of section names"),
        ({"since": "next week"}, "not an ISO 8601"),
        ({"until": 2025}, "ISO 8601"),
        ({"since": "2025-02-01", "until": "2025-02-01"}, "earlier than"),
        ({"incremental": 1}, "true or false"),
        ({"everything": True}, "Unknown field: everything"),
    ],
)
def test_bad_selections_say_what_is_wrong(mapping: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Selection.parse(mapping)


def test_every_section_name_is_a_section_the_archive_knows() -> None:
    assert tuple(section.name for section in SECTIONS) == SECTION_NAMES
