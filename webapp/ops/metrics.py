"""The counters and histograms each process adds to (DESIGN.md "Metrics" names them).

With PROMETHEUS_MULTIPROC_DIR set before the process starts, every gunicorn worker and Celery
pool child writes its own file there and /metrics adds them up; without it they live in this
process only (tests, `flask run`).
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Histogram

# Waits and builds range from a second to the two-hour hard limit.
LONG_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

QUEUE_WAIT = Histogram(
    "keepsake_archive_queue_wait_seconds",
    "Seconds from a job's request to the start of its first build.",
    buckets=LONG_BUCKETS,
)
BUILD = Histogram(
    "keepsake_archive_build_seconds",
    "Seconds a successful build attempt took, from claim to the recorded archive.",
    buckets=LONG_BUCKETS,
)
BYTES = Counter("keepsake_archive_bytes", "Bytes of archives built successfully.")
FAILURES = Counter(
    "keepsake_archive_failures",
    "Jobs that ended failed, by the error_code the user was shown.",
    ["error_code"],
)
DOWNLOADS = Counter(
    "keepsake_archive_downloads",
    "Archive downloads authorised (a resumed Range request is not counted again).",
)
HTTP_LATENCY = Histogram(
    "keepsake_http_request_duration_seconds",
    "Seconds spent answering a request, by Flask endpoint, method and status.",
    ["endpoint", "method", "status"],
    buckets=HTTP_BUCKETS,
)


def started(requested_at: datetime, started_at: datetime) -> None:
    """Observe how long a job waited in the queue before its first build began."""
    QUEUE_WAIT.observe(max(0.0, (started_at - requested_at).total_seconds()))


def succeeded(claimed_at: datetime, finished_at: datetime, size: int) -> None:
    """Observe a successful build: its duration and its bytes."""
    BUILD.observe(max(0.0, (finished_at - claimed_at).total_seconds()))
    BYTES.inc(size)


def failed(error_code: str | None) -> None:
    """Count a job that ended failed, by the code its owner sees."""
    FAILURES.labels(error_code=error_code or "unknown").inc()


def downloaded() -> None:
    """Count an authorised download."""
    DOWNLOADS.inc()


def answered(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Observe one HTTP answer."""
    HTTP_LATENCY.labels(endpoint=endpoint, method=method, status=str(status)).observe(seconds)
