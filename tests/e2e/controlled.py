"""A job moved through its states by the test, with the real transition functions.

The browser tests need a running job that stays running until they have looked, and whose
progress changes when they say so: a worker's speed must never decide what the page shows.
"""

from __future__ import annotations

import uuid

from flask import Flask

from webapp.archives import transitions
from webapp.archives.builder import BuildResult
from webapp.archives.models import ArchiveJob
from webapp.extensions import db

LEASE_SECONDS = 600


class ControlledJob:
    """The user's queued job, claimed and advanced step by step from the test."""

    def __init__(self, app: Flask, user_id: int) -> None:
        self.app = app
        with app.app_context():
            claim = transitions.claim(user_id, LEASE_SECONDS)
        assert claim is not None, "the user has no queued job to claim"
        self.claim = claim

    @property
    def job_id(self) -> uuid.UUID:
        """The job's id."""
        return self.claim.job_id

    def progress(self, phase: str, done: int, total: int) -> None:
        """Write one heartbeat now (a fresh Heartbeat has no throttle to wait out)."""
        with self.app.app_context():
            transitions.Heartbeat(self.claim, LEASE_SECONDS)(phase, done, total)

    def succeed(self) -> None:
        """Finish the job as the runner would, with a file that is not really there."""
        with self.app.app_context():
            result = BuildResult(size=3 * 2**20, sha256="ef" * 32, counts={})
            assert transitions.succeed(self.claim, result, f"{self.job_id}.zip", 3600)

    def status(self) -> str:
        """The job's status in the database."""
        with self.app.app_context():
            job = db.session.get(ArchiveJob, self.job_id)
            assert job is not None
            return job.status
