"""Every page of Keepsake, for the browser tests of layout, accessibility and pictures.

Whoever adds a page adds it here (after rebasing): the tests visit each at 1280 and 390 px,
filled with adversarial content (tests/e2e/adversarial.py), and fail on horizontal scroll or
any axe-core violation. `screenshot` takes its picture for the README
(`README_PICTURES=docs make test` refreshes docs/).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """A page to visit: its name (for pictures and messages), its path and who sees it."""

    name: str
    path: str  # {note_id}, {file_id}: the adversarial account's longest-named note and file
    who: str = "user"  # "visitor" (logged out), "user" or "admin"
    screenshot: bool = False


PAGES: list[Page] = [
    Page("login", "/auth/login", who="visitor", screenshot=True),
    Page("register", "/auth/register", who="visitor"),
    Page("notes", "/notes", screenshot=True),
    Page("notes-page-2", "/notes?page=2"),
    Page("note-edit", "/notes/{note_id}/edit"),
    Page("note-delete", "/notes/{note_id}/delete", screenshot=True),
    Page("files", "/files", screenshot=True),
    Page("file-delete", "/files/{file_id}/delete", screenshot=True),
    Page("archives", "/archives", screenshot=True),
    Page("archive-schedule", "/archives/schedule"),
    Page("archives-chosen", "/archives?sections=notes&since=2025-01-01&until=2026-01-01"),
    Page("archives-bad-choice", "/archives?sections=notes&since=2026-01-01&until=2025-01-01"),
    Page("imports", "/imports", screenshot=True),
    Page("account", "/auth/account", screenshot=True),
    Page("confirm-password", "/auth/confirm"),
    Page("admin-archives", "/admin/archives", who="admin", screenshot=True),
    Page("admin-dashboard", "/admin", who="admin"),
    Page("admin-users", "/admin/users?email=e", who="admin"),
    Page("not-found", "/no-such-page"),
]

# The widths every page must hold: a desktop and a phone (viewport width, height).
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
