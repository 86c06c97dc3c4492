"""A worker's or beat's own metrics server, for hosts whose folder no web process reads."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery.signals import beat_init, worker_init
from prometheus_client import start_http_server

from webapp.ops.exposition import MULTIPROC_DIR, process_registry

log = logging.getLogger(__name__)


def init_app(config: Any) -> None:
    """Serve this process's metrics on METRICS_PORT once Celery's worker or beat starts."""
    if not config.get("METRICS_PORT"):
        return
    port, addr = int(config["METRICS_PORT"]), str(config["METRICS_ADDR"])

    def serve(**_: Any) -> None:
        """Start the exposition thread in the main process, before the pool forks."""
        if not os.environ.get(MULTIPROC_DIR):
            log.warning("METRICS_PORT without %s shows the main process only", MULTIPROC_DIR)
        start_http_server(port, addr=addr, registry=process_registry())
        log.info("serving metrics on %s:%s", addr, port)

    for signal in (worker_init, beat_init):
        signal.connect(serve, weak=False, dispatch_uid="keepsake-metrics-server")
