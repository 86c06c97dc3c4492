"""GET /metrics: every process's counters plus the queue read from the database right now."""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator

from flask import Blueprint, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from werkzeug.wrappers import Response

from webapp.errors import api_error
from webapp.ops import jobstats, workers

bp = Blueprint("metrics", __name__)
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


class QueueCollector(Collector):
    """Job-state gauges taken from archive_jobs at scrape time, true whoever wrote the rows."""

    def collect(self) -> Iterator[Metric]:
        """Read the figures from the database and the workers' ping replies."""
        jobs = GaugeMetricFamily(
            "keepsake_archive_jobs", "Archive jobs in each state.", labels=["status"]
        )
        for status, count in jobstats.counts_by_status().items():
            jobs.add_metric([status], count)
        yield jobs
        depth = GaugeMetricFamily(
            "keepsake_archive_queue_depth",
            "Queued archive jobs per Celery queue.",
            labels=["queue"],
        )
        for queue, count in jobstats.queue_depths().items():
            depth.add_metric([queue], count)
        yield depth
        yield GaugeMetricFamily(
            "keepsake_archive_oldest_queued_seconds",
            "Age of the oldest queued archive job (0 when none waits).",
            value=jobstats.oldest_queued_seconds(),
        )
        yield GaugeMetricFamily(
            "keepsake_workers_seen",
            "Celery workers that answered a ping during this scrape.",
            value=len(workers.seen()),
        )


def process_registry() -> CollectorRegistry:
    """The counters and histograms: summed over every process sharing the multiprocess dir."""
    # prometheus-client itself reads this variable when a process starts; we follow it.
    if os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def _authorised() -> bool:
    """With METRICS_TOKEN set, only `Authorization: Bearer <token>` may read the metrics."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return True
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(offered.strip(), str(token))


@bp.get("/metrics")
def metrics() -> Response:
    """Answer in Prometheus text format; 401 without the right bearer token."""
    if not _authorised():
        response = api_error(401, "unauthorized", "A valid metrics bearer token is required.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    queue = CollectorRegistry()
    queue.register(QueueCollector())
    body = generate_latest(process_registry()) + generate_latest(queue)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
