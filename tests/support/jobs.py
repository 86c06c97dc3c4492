"""Wait on job rows, the source of truth, instead of sleeping."""

from __future__ import annotations

import time
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask

from webapp.archives.models import ArchiveJob
from webapp.extensions import db
from webapp.imports.models import ImportJob


def settle_jobs(app: Flask, timeout: float = 60.0) -> None:
    """Stop new builds and wait for running ones, so the next test starts from nothing."""
    with app.app_context():
        for model in (ArchiveJob, ImportJob):
            queued = sa.update(model).where(model.status == "queued").values(status="cancelled")
            db.session.execute(queued)
        db.session.commit()
        deadline = time.monotonic() + timeout
        while any(
            db.session.scalar(sa.select(sa.func.count()).where(model.status == "running"))
            for model in (ArchiveJob, ImportJob)
        ):
            db.session.rollback()
            if time.monotonic() > deadline:
                raise AssertionError("a build or import was still running after the test")
            time.sleep(0.1)
        db.session.rollback()


def wait_for_job(
    app: Flask,
    job_id: str,
    states: tuple[str, ...] = ("succeeded", "failed", "cancelled"),
    timeout: float = 60.0,
    model: Any = ArchiveJob,
) -> Any:
    """Poll the job row (the source of truth) until it reaches one of `states`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            job = db.session.get(model, uuid.UUID(job_id))
            if job is not None and job.status in states:
                db.session.expunge(job)
                return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not reach {states} within {timeout}s")
