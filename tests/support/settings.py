"""Names every test process shares: the repo root, the app's secret, this session's keys."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET = secrets.token_hex(32)
TABLES = (
    "activity_events",
    "archive_schedules",
    "archive_jobs",
    "import_jobs",
    "attachments",
    "notes",
    "tombstones",
    "users",
)  # children first
REDIS_TEST_DB = 9
# Per test session, so two runs on one machine never take each other's messages or counts.
SESSION = uuid.uuid4().hex[:8]
QUEUE = f"keepsake-test-{SESSION}"
LARGE_QUEUE = f"{QUEUE}-large"
LIMITS_PREFIX = f"keepsake-limits-{SESSION}"
