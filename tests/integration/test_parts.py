"""An archive above ARCHIVE_PART_SIZE, built by the real worker: parts listed, each downloaded."""

from __future__ import annotations

import hashlib
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.http import parse_options_header

from tests.integration.test_archive_flow import add_note, request_and_wait, upload
from tests.support.http import api, sign_up

PART = 256 * 1024


def download_all(client: FlaskClient, job: dict[str, Any], folder: Path) -> list[Path]:
    """Fetch every part by its own URL, under the name the server gives it."""
    saved = []
    for part in job["parts"]:
        response = client.get(part["download_url"])
        assert response.status_code == 200
        body = response.get_data()
        response.close()
        assert len(body) == part["size"] and hashlib.sha256(body).hexdigest() == part["sha256"]
        name = parse_options_header(response.headers["Content-Disposition"])[1]["filename"]
        saved.append(folder / name)
        saved[-1].write_bytes(body)
    return saved


def test_a_large_archive_comes_in_parts_each_downloadable_and_the_set_verifies(
    clean_state: Flask, worker: Any, tmp_path: Path
) -> None:
    clean_state.config["ARCHIVE_PART_SIZE"] = PART
    client = clean_state.test_client()
    sign_up(client, "parts@example.com")
    for i in range(3):
        add_note(client, f"note {i}", "text " * 200)
    for i in range(5):
        upload(client, f"random-{i}.bin", os.urandom(150 * 1024))
    upload(client, "big.bin", os.urandom(PART + 1))

    job = request_and_wait(clean_state, client)

    assert job["status"] == "succeeded"
    assert len(job["parts"]) >= 4 and [p["index"] for p in job["parts"]] == list(
        range(len(job["parts"]))
    )
    assert job["size"] == sum(part["size"] for part in job["parts"])
    assert job["sha256"] == job["parts"][0]["sha256"]
    saved = download_all(client, job, tmp_path)
    for path in saved:
        assert subprocess.run(["unzip", "-tq", str(path)], capture_output=True).returncode == 0
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None and "manifest.json" in archive.namelist()
    # Range on a part: 206 with exactly the bytes asked for.
    ranged = client.get(job["parts"][2]["download_url"], headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.get_data() == saved[2].read_bytes()[10:20]
    assert ranged.headers["Repr-Digest"].startswith("sha-256=:")
    ranged.close()

    runner = clean_state.test_cli_runner()
    result = runner.invoke(args=["archives", "verify", str(saved[0])])
    assert result.exit_code == 0, result.output
    assert f"OK: {len(saved)} parts" in result.output

    broken = bytearray(saved[1].read_bytes())
    broken[len(broken) // 2] ^= 0x55
    saved[1].write_bytes(bytes(broken))
    result = runner.invoke(args=["archives", "verify", str(saved[0])])
    assert result.exit_code == 1
    assert f"FAIL part 1 ({saved[1].name})" in result.output

    page = client.get("/archives").get_data(as_text=True)
    assert page.count('class="download-part"') == len(saved)


def test_deleting_an_archive_in_parts_removes_every_part(clean_state: Flask, worker: Any) -> None:
    clean_state.config["ARCHIVE_PART_SIZE"] = PART
    client = clean_state.test_client()
    sign_up(client, "gone@example.com")
    for i in range(3):
        upload(client, f"r{i}.bin", os.urandom(200 * 1024))
    job = request_and_wait(clean_state, client)
    folder = Path(clean_state.config["ARCHIVE_DIR"])
    assert len(list(folder.glob(f"{job['id']}-*.zip"))) == len(job["parts"]) > 1
    assert api(client, "DELETE", f"/api/archives/{job['id']}").status_code == 204
    assert list(folder.glob(f"{job['id']}-*")) == []
    missing = client.get(job["parts"][1]["download_url"])
    assert missing.status_code == 404
