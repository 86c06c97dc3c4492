"""The archive's offline index.html holds at both widths, adversarial content and all."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from flask import Flask
from playwright.sync_api import Browser

from tests.e2e import adversarial
from tests.e2e.conftest import layout_problems
from tests.e2e.pages import VIEWPORTS
from tests.support.jobs import wait_for_job
from webapp.archives import actions, storage


def test_offline_index_holds_at_every_width_and_keeps_line_breaks(
    clean_state: Flask, worker: Any, browser: Browser, tmp_path: Path, pictures: Path
) -> None:
    account = adversarial.fill_account(clean_state, jobs=False)
    with clean_state.app_context():
        job, _ = actions.request_archive(account.user_id)
        job_id = str(job.id)
    built = wait_for_job(clean_state, job_id, ("succeeded",))
    assert built.storage_key is not None
    with clean_state.app_context():
        path = storage.scratch_path(built.storage_key)  # local: kept where it was built
    with zipfile.ZipFile(path) as archive:
        index = tmp_path / "index.html"
        index.write_bytes(archive.read("index.html"))

    problems = {}
    for name, (width, height) in VIEWPORTS.items():
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        page = context.new_page()
        page.goto(index.as_uri())
        if found := layout_problems(page):
            problems[name] = found
        body = page.locator("td", has_text="Line 1: keeps its own line.")
        lines = body.evaluate("cell => cell.innerText.split('\\n').length")
        assert lines >= 60, "the note's line breaks were collapsed"
        page.screenshot(path=str(pictures / f"offline-index-{name}.png"))
        context.close()
    assert not problems, "\n\n".join(f"{name}:\n" + "\n".join(p) for name, p in problems.items())
