"""Every page at a desktop's and a phone's width, filled with adversarial content."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser

from tests.e2e import adversarial
from tests.e2e.conftest import layout_problems, log_in
from tests.e2e.pages import PAGES, VIEWPORTS


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_page_holds_without_sideways_scroll_or_axe_violations(
    clean_state: Flask,
    live_server: str,
    browser: Browser,
    viewport: str,
    no_running_jobs_left: None,
    pictures: Path,
) -> None:
    account = adversarial.fill_account(clean_state)
    width, height = VIEWPORTS[viewport]
    options = {"viewport": {"width": width, "height": height}, "bypass_csp": True}
    visitor = browser.new_context(**options)
    user = browser.new_context(**options)
    problems: dict[str, list[str]] = {}
    try:
        log_in(user.new_page(), live_server, account.email, account.password)
        for entry in PAGES:
            page = (visitor if entry.who == "visitor" else user).new_page()
            path = entry.path.format(note_id=account.note_id, file_id=account.file_id)
            page.goto(live_server + path)
            page.wait_for_load_state("networkidle")
            if found := layout_problems(page):
                problems[path] = found
            if entry.screenshot:
                page.screenshot(path=str(pictures / f"{entry.name}-{viewport}.png"))
            page.close()
    finally:
        visitor.close()
        user.close()
    assert not problems, "\n\n".join(f"{path}:\n" + "\n".join(p) for path, p in problems.items())
