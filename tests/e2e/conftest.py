"""Debian's Chromium driven by Playwright (the live server comes from tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright

from webapp.archives.models import ArchiveJob
from webapp.auth.accounts import create_user
from webapp.extensions import db

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium from Debian's package (Playwright cannot download one here)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests put their screenshots: docs/ with README_PICTURES=docs, else a temp dir.

    Opt-in, because the pictures show the moment they were taken: refreshed on every run they
    would make every engineer's tree dirty and every rebase conflict on the same binaries.
    """
    chosen = os.environ.get("README_PICTURES")
    return Path(chosen).resolve() if chosen else tmp_path_factory.mktemp("pictures")


@pytest.fixture
def no_running_jobs_left(clean_state: Flask) -> Iterator[None]:
    """End jobs a test left running without a worker, so the suite's settling need not wait."""
    yield
    with clean_state.app_context():
        db.session.execute(
            sa.update(ArchiveJob).where(ArchiveJob.status == "running").values(status="failed")
        )
        db.session.commit()


def make_account(app: Flask, email: str, password: str) -> int:
    """Create an account to log in with and return its id."""
    with app.app_context():
        user = create_user(email, password)
        db.session.commit()
        return int(user.id)


def log_in(page: Page, base: str, email: str, password: str) -> None:
    """Log in through the form, as a person would."""
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]:has-text('Log in')")
    page.wait_for_url(f"{base}/notes")


def layout_problems(page: Page) -> list[str]:
    """What is wrong with the page as shown: sideways scrolling and axe-core violations."""
    problems = []
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if scroll > inner:
        problems.append(f"the page scrolls sideways: scrollWidth {scroll} > innerWidth {inner}")
    results = Axe().run(page)
    if results.violations_count:
        problems.append(results.generate_report())
    return problems


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element is focused, as a keyboard user would reach it."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with Tab")
