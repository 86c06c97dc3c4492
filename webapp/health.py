"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import redis
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from webapp.extensions import db

bp = Blueprint("health", __name__)
PROBE_TIMEOUT = 1.0


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 while the process can serve requests at all."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Check the database and the broker with short timeouts; 503 names what is down."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ready = all(checks.values())
    body = {name: "ok" if ok else "down" for name, ok in checks.items()}
    return jsonify({"status": "ready" if ready else "unavailable", **body}), 200 if ready else 503


def _database_ok() -> bool:
    """Tell whether the database answers a trivial query."""
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return False
    return True


def _broker_ok() -> bool:
    """Tell whether the broker answers PING within the probe timeout."""
    url = current_app.config["CELERY"]["broker_url"]
    client = redis.Redis.from_url(
        url, socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT
    )
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()
