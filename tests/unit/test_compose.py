"""compose.yaml is a valid Compose file and starts things in an order that works."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.support.settings import ROOT
from webapp.config import DEFAULTS

COMPOSE = ROOT / "compose.yaml"
APP_SERVICES = ("web", "worker", "worker-large", "beat")


def compose() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def seconds(duration: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([hms])", duration))


def test_compose_file_matches_the_compose_specification_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_database_and_redis_have_healthchecks_that_the_migration_waits_for() -> None:
    services = compose()
    for name in ("db", "redis", "minio"):
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_web_worker_and_beat_start_only_after_the_migration_completed() -> None:
    services = compose()
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["bucket"]["condition"] == "service_completed_successfully", name


def test_workers_may_finish_the_longest_build_before_being_killed() -> None:
    for name in ("worker", "worker-large"):
        grace = seconds(compose()[name]["stop_grace_period"])
        assert grace >= DEFAULTS["ARCHIVE_TIME_LIMIT"], name


def test_every_queue_archives_are_sent_to_has_its_own_worker() -> None:
    consumed = {
        service["command"][service["command"].index("--queues") + 1]
        for service in compose().values()
        if "worker" in service.get("command", []) and "--queues" in service["command"]
    }
    assert consumed == {"celery", DEFAULTS["ARCHIVE_LARGE_QUEUE"]}


def test_every_host_uses_the_object_store_and_no_shared_volume() -> None:
    services = compose()
    for name in (*APP_SERVICES, "migrate"):
        environment = services[name]["environment"]
        assert environment["FLASK_STORAGE_BACKEND"] == "s3", name
        assert "volumes" not in services[name], name


def test_the_image_and_compose_run_the_same_production_web_command() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = json.loads(re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)[-1])
    assert compose()["web"]["command"] == cmd
    assert "deploy/gunicorn.conf.py" in cmd
