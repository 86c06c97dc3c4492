"""Progress moves through every phase of a build in small steps, and ends at 100."""

from __future__ import annotations

from flask import Flask

from webapp.archives import actions, runner, transitions
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.auth.accounts import create_user
from webapp.extensions import db
from webapp.notes.seed import seed_notes

# Progress moves a block of rows (256 KiB of COPY text, both files at once) at a time: this
# account makes about 25 blocks.
NOTES = 15_000


def test_every_reported_value_rises_in_small_steps_to_100(clean_state: Flask) -> None:
    # Given an account big enough for many progress reports
    with clean_state.app_context():
        user = create_user("progress@example.com", "a long enough password")
        db.session.flush()
        seed_notes(user.id, NOTES)
        db.session.commit()
        job, _ = actions.request_archive(user.id, enqueue_message=False)
        claim = transitions.claim(user.id, 600)
        assert claim is not None
        reported: list[tuple[str, int]] = []

        def record(phase: str, done: int, total: int) -> None:
            reported.append((phase, done * 100 // total if total else 0))

        # When the build runs, recording every value the job would show
        assert runner.execute(claim, user, record) == "succeeded"
        final = db.session.get(ArchiveJob, job.id, populate_existing=True)
    # Then the values never fall, cover the middle in small steps, and the job ends at 100
    percents = [percent for _, percent in reported]
    assert percents == sorted(percents)
    middle = sorted({p for p in percents if 1 <= p <= 99})
    assert len(middle) >= 20, middle
    steps = [b - a for a, b in zip([0, *middle], [*middle, 100], strict=True)]
    assert max(steps) <= 10, f"progress jumped: {middle}"
    assert {phase for phase, _ in reported} >= {"counting", "notes", "finishing", "verifying"}
    assert final is not None and (final.status, final.progress) == (JobStatus.SUCCEEDED, 100)
