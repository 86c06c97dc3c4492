"""How pages write moments, sizes, durations and browsers: one format everywhere."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import humanize
from flask import Flask
from ua_parser import parse as parse_user_agent

MOMENT_FORMAT = "%Y-%m-%d %H:%M UTC"


def moment(value: datetime | str | None) -> str:
    """Write a moment as "2026-12-01 20:09 UTC", whether it comes as a datetime or ISO text."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime(MOMENT_FORMAT)


def filesize(size: int | None) -> str:
    """Write a byte count as people read it: "4.0 MiB", not "4194304 B"."""
    return "" if size is None else str(humanize.naturalsize(size, binary=True))


def duration(seconds: float) -> str:
    """Write a wait as "14 minutes" or "1 hour 5 minutes", rounded up to a whole minute."""
    minutes = max(1, math.ceil(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def browser(user_agent: str | None) -> str:
    """Name the browser and system of a user-agent string ("Firefox 133 on Windows")."""
    if not user_agent:
        return ""
    parsed = parse_user_agent(user_agent)
    agent = parsed.user_agent
    name = " ".join(filter(None, (agent.family, agent.major))) if agent else "Unknown browser"
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else ""
    return f"{name} on {system}" if system else name


def init_app(app: Flask) -> None:
    """Offer the formats to every template."""
    app.add_template_filter(moment)
    app.add_template_filter(filesize)
    app.add_template_filter(duration)
    app.add_template_filter(browser)
