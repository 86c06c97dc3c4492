"""Operating Keepsake: Prometheus metrics, structured logs with request and job ids."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Configure logging, tag requests with an id, time them and serve /metrics."""
    from webapp.ops import context, exporter, exposition, http, logs

    logs.configure_from(app.config)
    context.init_app(app)
    http.init_app(app)
    app.register_blueprint(exposition.bp)
    exporter.init_app(app.config)
