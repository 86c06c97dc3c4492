"""What an export holds: which sections, and which records by their creation time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Every section Keepsake knows, in archive order; contents.py defines each one.
SECTION_NAMES = ("profile", "notes", "files", "activity")
ALWAYS = "profile"
FIELDS = frozenset({"sections", "since", "until", "incremental"})


@dataclass(frozen=True)
class Selection:
    """Sections to include (profile always) and a half-open range [since, until) of creation."""

    sections: frozenset[str]
    since: datetime | None = None
    until: datetime | None = None
    incremental: bool = False

    @classmethod
    def everything(cls) -> Selection:
        """Select every section and every record: what an archive held before selections."""
        return cls(frozenset(SECTION_NAMES))

    @classmethod
    def parse(cls, mapping: Mapping[str, Any] | None) -> Selection:
        """Read a request body, query string or stored value; ValueError says what is wrong."""
        if mapping is None:
            return cls.everything()
        if not isinstance(mapping, Mapping):
            raise ValueError("The selection must be a JSON object.")
        unknown = sorted(set(mapping) - FIELDS)
        if unknown:
            raise ValueError(f"Unknown field: {', '.join(unknown)}.")
        since = _moment(mapping.get("since"), "since")
        until = _moment(mapping.get("until"), "until")
        if since is not None and until is not None and since >= until:
            raise ValueError("'since' must be earlier than 'until'.")
        incremental = mapping.get("incremental", False)
        if not isinstance(incremental, bool):
            raise ValueError("'incremental' must be true or false.")
        return cls(_sections(mapping.get("sections")), since, until, incremental)

    @property
    def ordered_sections(self) -> tuple[str, ...]:
        """The chosen sections in archive order."""
        return tuple(name for name in SECTION_NAMES if name in self.sections)

    def to_json(self) -> dict[str, Any]:
        """Describe the selection as stored on the job, shown in its JSON and the manifest."""
        return {
            "sections": list(self.ordered_sections),
            "since": _iso(self.since),
            "until": _iso(self.until),
            "incremental": self.incremental,
        }


def from_query(args: Mapping[str, str]) -> Selection:
    """Read a selection from query parameters: sections comma-separated, incremental as text."""
    fields: dict[str, Any] = dict(args)
    if "sections" in fields:
        fields["sections"] = [
            name.strip() for name in fields["sections"].split(",") if name.strip()
        ]
    if "incremental" in fields:
        flag = fields["incremental"].strip().lower()
        if flag not in ("true", "false", "1", "0", ""):
            raise ValueError("'incremental' must be true or false.")
        fields["incremental"] = flag in ("true", "1")
    return Selection.parse(fields)


def _sections(value: Any) -> frozenset[str]:
    """Read a list of section names; absent means all of them."""
    if value is None:
        return frozenset(SECTION_NAMES)
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValueError("'sections' must be a list of section names.")
    unknown = sorted(set(value) - set(SECTION_NAMES))
    if unknown:
        known = ", ".join(SECTION_NAMES)
        raise ValueError(f"Unknown section: {', '.join(unknown)}. Choose from {known}.")
    # The profile says whose data an archive is, so every archive holds it.
    return frozenset({*value, ALWAYS})


def _moment(value: Any, name: str) -> datetime | None:
    """Read an ISO 8601 date or time; one without a zone is taken as UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"'{name}' must be an ISO 8601 date or time, like 2025-01-01.")
    try:
        moment = datetime.fromisoformat(value.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # overflow: a zone pushing year 1 or 9999 past the edge
        raise ValueError(
            f"'{name}' is not an ISO 8601 date or time, like 2025-01-01T00:00:00Z."
        ) from None


def _iso(moment: datetime | None) -> str | None:
    """Write a moment in UTC with a Z, as the request fields are spelled."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None
