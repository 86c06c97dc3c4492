"""The one way pages write moments, sizes, waits, browsers and a job's progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from webapp.archives.wording import progress_line, status_words
from webapp.formatting import browser, duration, filesize, moment

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 12, 1, 20, 9, 1, tzinfo=UTC),
        datetime(2026, 12, 1, 21, 9, 1, tzinfo=timezone(timedelta(hours=1))),
        "2026-12-01T20:09:01.123456+00:00",
    ],
)
def test_moments_are_written_in_utc_with_the_zone(value: datetime | str) -> None:
    assert moment(value) == "2026-12-01 20:09 UTC"


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 Bytes"), (1, "1 Byte"), (4_194_304, "4.0 MiB"), (5 * 2**30, "5.0 GiB"), (None, "")],
)
def test_sizes_read_as_people_write_them(size: int | None, text: str) -> None:
    assert filesize(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1 minute"), (61, "2 minutes"), (3600, "1 hour"), (3900, "1 hour 5 minutes")],
)
def test_waits_round_up_to_whole_minutes(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_browsers_are_named_with_their_system() -> None:
    assert browser(CHROME) == "Chrome 131 on Windows"
    assert browser(None) == ""


def job(**changes: Any) -> dict[str, Any]:
    """A job as job_json describes it."""
    base = {
        "status": "running",
        "ready": False,
        "cancel_requested": False,
        "phase": "counting",
        "items_done": 0,
        "items_total": 0,
        "progress": 0,
    }
    return base | changes


def test_first_progress_line_says_what_is_happening_not_zero_of_zero() -> None:
    assert progress_line(job()) == "Counting what goes in…"
    assert progress_line(job(status="queued", phase="waiting")).startswith("Waiting for a worker")


def test_progress_line_counts_items_with_separators() -> None:
    line = progress_line(job(phase="notes", items_done=4200, items_total=10_000, progress=42))
    assert line == "Writing your notes · 4,200 of 10,000 items · 42%"


def test_a_job_told_to_stop_says_cancelling() -> None:
    assert status_words(job(cancel_requested=True)) == "Cancelling"
    assert status_words(job(status="succeeded", ready=True)) == "Ready to download"
