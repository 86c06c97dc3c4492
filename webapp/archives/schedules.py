"""Repeating exports: every change of a schedule, and beat's runs of the ones that are due.

A schedule runs at its start and then every 1, 2 or 3 months until a year is over. Beat
requests each run exactly as the web does (one active job, the cooldown, notification).
A run that beat missed (it was down) is made once when beat returns, and the next one
falls on the schedule's own calendar, not once per missed period. Each run is claimed with
a compare-and-set on next_run_at, so two beats never make the same run twice.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp.archives import actions
from webapp.archives.schedule_model import EVERY_MONTHS, YEAR_MONTHS, ArchiveSchedule
from webapp.archives.selection import Selection
from webapp.auth.activity import record
from webapp.extensions import db
from webapp.types import utcnow

log = logging.getLogger(__name__)
schedules = ArchiveSchedule.__table__


def add_months(moment: datetime, months: int) -> datetime:
    """Move by calendar months (the 31st becomes the month's last day), or by the test clock."""
    month_seconds = float(current_app.config["ARCHIVE_SCHEDULE_MONTH_SECONDS"] or 0)
    if month_seconds:
        return moment + timedelta(seconds=month_seconds * months)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_run(schedule: ArchiveSchedule, after: datetime) -> datetime | None:
    """The first run of the schedule's calendar strictly after `after`; None once the year ends."""
    for period in range(0, YEAR_MONTHS, schedule.every_months):
        moment = add_months(schedule.starts_at, period)
        if moment > after:
            return moment if moment < schedule.ends_at else None
    return None


def of_user(user_id: int) -> ArchiveSchedule | None:
    """Return the user's schedule, if they have one."""
    return db.session.scalar(sa.select(ArchiveSchedule).where(ArchiveSchedule.user_id == user_id))


def save(user_id: int, every_months: int, selection: Mapping[str, Any]) -> ArchiveSchedule:
    """Start a year of exports now, or change how often and what (the year's end stays)."""
    if every_months not in EVERY_MONTHS:
        raise ValueError("Choose every 1, 2 or 3 months.")
    now = utcnow()
    schedule = of_user(user_id)
    kind = "schedule_changed"
    if schedule is None:
        kind = "schedule_started"
        schedule = ArchiveSchedule(
            user_id=user_id, starts_at=now, ends_at=add_months(now, YEAR_MONTHS), runs=0
        )
        db.session.add(schedule)
    schedule.every_months, schedule.selection, schedule.updated_at = (
        every_months,
        dict(selection),
        now,
    )
    schedule.next_run_at = (
        now if schedule.last_run_at is None else next_run(schedule, schedule.last_run_at)
    )
    record(user_id, kind, f"every {every_months} month{'s' if every_months > 1 else ''}")
    db.session.commit()
    return schedule


def stop(user_id: int) -> bool:
    """End the user's schedule; False when there was none."""
    schedule = of_user(user_id)
    if schedule is None:
        return False
    db.session.delete(schedule)
    record(user_id, "schedule_stopped", f"after {schedule.runs} runs")
    db.session.commit()
    return True


@dataclass(frozen=True)
class RunReport:
    """What one pass of beat over the due schedules did."""

    requested: int = 0
    already_active: int = 0
    postponed: int = 0


def run_due(now: datetime | None = None) -> RunReport:
    """Request an archive for every schedule whose run is due (beat calls this)."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(ArchiveSchedule.id).where(ArchiveSchedule.next_run_at <= now)
    ).all()
    db.session.rollback()
    outcomes = [_run(schedule_id, now) for schedule_id in due]
    return RunReport(
        outcomes.count("requested"), outcomes.count("already_active"), outcomes.count("postponed")
    )


def _run(schedule_id: int, now: datetime) -> str:
    """Make one due run: claim it, then request as the web does; postpone in a cooldown."""
    schedule = db.session.get(ArchiveSchedule, schedule_id)
    if schedule is None or schedule.next_run_at is None or schedule.next_run_at > now:
        return "not_due"
    due_at, user_id = schedule.next_run_at, schedule.user_id
    wait = actions.cooldown_remaining(user_id)
    if wait:
        _move(schedule_id, due_at, now + timedelta(seconds=wait), counted=False, now=now)
        record(user_id, "schedule_postponed", f"cooldown {wait}s")
        db.session.commit()
        return "postponed"
    if not _move(schedule_id, due_at, next_run(schedule, now), counted=True, now=now):
        return "taken"  # another beat made this run
    try:
        selection = Selection.parse(schedule.selection)
        job, created = actions.request_archive(user_id, selection=selection)
    except actions.CooldownActive as cooling:
        # A success landed between the check and the request: run again once it is over.
        _move(schedule_id, None, now + timedelta(seconds=cooling.retry_after), False, now)
        return "postponed"
    record(user_id, "schedule_run", str(job.id))
    db.session.commit()
    log.info("schedule %s: run for user %s: job %s", schedule_id, user_id, job.id)
    return "requested" if created else "already_active"


def _move(
    schedule_id: int,
    expected: datetime | None,
    next_at: datetime | None,
    counted: bool,
    now: datetime,
) -> bool:
    """Set the next run with a compare-and-set on the one expected; count a made run."""
    condition = schedules.c.id == schedule_id
    if expected is not None:
        condition = sa.and_(condition, schedules.c.next_run_at == expected)
    values: dict[str, Any] = {"next_run_at": next_at}
    if counted:
        values.update(last_run_at=now, runs=schedules.c.runs + 1)
    with db.engine.begin() as conn:
        return bool(conn.execute(sa.update(schedules).where(condition).values(**values)).rowcount)
