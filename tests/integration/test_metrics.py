"""GET /metrics in one process: the token, the parse, the gauges equal to the rows."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from tests.support.admin import insert_job, user_id
from tests.support.http import sign_up
from tests.support.settings import ROOT

TOKEN = "a-metrics-token-for-tests-0123456789"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_refuse_a_missing_or_wrong_token(clean_state: Flask, client: FlaskClient) -> None:
    clean_state.config["METRICS_TOKEN"] = TOKEN
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.json["error"] == "unauthorized"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    allowed = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200 and allowed.mimetype == "text/plain"


def test_job_gauges_equal_the_rows_at_scrape_time(clean_state: Flask, client: FlaskClient) -> None:
    sign_up(client, "someone@example.com")
    uid = user_id(clean_state, "someone@example.com")
    insert_job(clean_state, uid, "queued", minutes_ago=5)
    for _ in range(3):
        insert_job(clean_state, uid, "failed", error_code="disk_full")
    insert_job(clean_state, uid, "expired")

    found = samples(client.get("/metrics").get_data(as_text=True))

    jobs = {
        dict(labels)["status"]: value
        for (name, labels), value in found.items()
        if name == "keepsake_archive_jobs"
    }
    assert jobs == {
        "queued": 1,
        "running": 0,
        "succeeded": 0,
        "failed": 3,
        "cancelled": 0,
        "expired": 1,
    }
    assert sum(v for (n, _), v in found.items() if n == "keepsake_archive_queue_depth") == 1
    assert 4 * 60 < found[("keepsake_archive_oldest_queued_seconds", ())] < 6 * 60
    assert ("keepsake_workers_seen", ()) in found


def test_request_latency_is_observed_by_endpoint_and_status(client: FlaskClient) -> None:
    def count() -> float:
        found = samples(client.get("/metrics").get_data(as_text=True))
        key = (
            "keepsake_http_request_duration_seconds_count",
            (("endpoint", "health.healthz"), ("method", "GET"), ("status", "200")),
        )
        return found.get(key, 0.0)

    before = count()
    for _ in range(3):
        client.get("/healthz")
    assert count() == before + 3


def test_request_id_is_echoed_or_made(client: FlaskClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "click-42.abc"})
    assert given.headers["X-Request-ID"] == "click-42.abc"
    forged = client.get("/healthz", headers={"X-Request-ID": "bad id; <script>"})
    made = forged.headers["X-Request-ID"]
    assert made != "bad id; <script>" and len(made) == 32


def test_every_metric_the_example_alerts_use_is_exported(client: FlaskClient) -> None:
    text = client.get("/metrics").get_data(as_text=True)
    exported = set(re.findall(r"^# HELP (\S+)", text, flags=re.MULTILINE))
    rules = (ROOT / "docs" / "alerts.yml").read_text()
    used = {
        re.sub(r"_(count|sum|bucket)$", "", name) for name in re.findall(r"keepsake_\w+", rules)
    }
    assert len(used) >= 4 and used <= exported, used - exported
