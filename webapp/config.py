"""Defaults for every setting; a deployment overrides them with FLASK_<KEY> variables."""

from __future__ import annotations

from typing import Any

HOUR = 3600
GIB = 1024**3
SOFT_LIMIT_GRACE = 15

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    # A file holding the key (a Docker secret, or the one `make run` keeps in instance/);
    # read only when SECRET_KEY is unset. A relative path is inside the instance folder.
    "SECRET_KEY_FILE": None,
    "SQLALCHEMY_DATABASE_URI": None,  # None: SQLite in the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "UPLOAD_DIR": None,  # None: <instance>/uploads
    "ARCHIVE_DIR": None,  # None: <instance>/archives
    "MAX_CONTENT_LENGTH": 100 * 1024 * 1024,
    "STORAGE_BACKEND": "local",  # or "s3"; see webapp/storage/
    "S3_BUCKET": None,
    "S3_PREFIX": "",
    "S3_ENDPOINT_URL": None,  # None: AWS
    "S3_PUBLIC_ENDPOINT_URL": None,  # where browsers reach the store, if not S3_ENDPOINT_URL
    "S3_REGION": "us-east-1",
    "DOWNLOAD_URL_SECONDS": 60,
    "ACCEL_REDIRECT_PREFIX": None,  # e.g. "/_protected": nginx sends local files
    # Objects without rows (and rows without objects) younger than this may be mid-write.
    "STORAGE_ORPHAN_GRACE": 3 * HOUR,
    "ARCHIVE_TTL": 7 * 24 * HOUR,
    "ARCHIVE_COOLDOWN": HOUR,
    # Requests in any 24 hours, cancelled and deleted ones included; failed ones are not.
    "ARCHIVE_REQUESTS_PER_DAY": 10,
    "ARCHIVE_LEASE_SECONDS": 120,
    "ARCHIVE_SWEEP_INTERVAL": 60,
    "ARCHIVE_QUEUED_GRACE": 120,
    "ARCHIVE_MAX_ATTEMPTS": 5,
    "ARCHIVE_SOFT_TIME_LIMIT": 110 * 60,
    "ARCHIVE_TIME_LIMIT": 2 * HOUR,
    "ARCHIVE_PREVIEW_BYTES": 256 * 1024,
    # Archives estimated above this many bytes wait on their own queue and workers, so one huge
    # account never holds up everyone else's small exports.
    "ARCHIVE_LARGE_THRESHOLD": GIB,
    "ARCHIVE_LARGE_QUEUE": "archives_large",
    "IMPORT_MAX_BYTES": 10 * GIB,  # an archive's total unpacked size
    "IMPORT_MAX_MEMBERS": 100_000,
    "IMPORT_MAX_RATIO": 100,  # unpacked / packed, per member above 1 MiB
    "IMPORT_MAX_MEMBER_BYTES": 5 * GIB,
    "ACCOUNT_ERASE_GRACE": 72 * HOUR,
    "ARCHIVE_PART_SIZE": 2 * 1024**3,  # bytes; a larger archive comes as several ZIPs
    "ARCHIVE_SCHEDULE_MONTH_SECONDS": 0,  # 0: calendar months; tests compress the clock
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_SENDER": "keepsake@localhost",
    "MAIL_TIMEOUT": 10,
    "REAUTH_SECONDS": 900,
    "PREFER_HTTPS": False,
    "PROXY_FIX_HOPS": 0,  # how many reverse proxies set X-Forwarded-For; 0 trusts none
    "RATELIMIT_STORAGE_URI": None,  # None: the Celery broker's Redis
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_KEY_PREFIX": "keepsake-limits",
    # If Redis is down or frozen, requests still work within a quarter second rather than
    # failing or hanging: the limits then count in this process's memory, and Redis is tried
    # again after a growing pause, so a frozen Redis costs a short timeout now and then
    # instead of one on every write.
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
    "LOGIN_ACCOUNT_LIMIT": "5 per 15 minutes",
    "LOGIN_ADDRESS_LIMIT": "20 per 15 minutes",
    "REGISTER_LIMIT": "10 per hour",
    # Every POST/PUT/PATCH/DELETE of a logged-in user, whatever the route.
    "WRITE_LIMIT": "60 per minute;1000 per hour",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 14 * 24 * HOUR,
    "QUOTA_NOTES": 100_000,
    "QUOTA_FILES": 10_000,
    "QUOTA_BYTES": 10 * 1024**3,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "BROKER_URL_FALLBACK": "redis://127.0.0.1:6379/0",
    "METRICS_TOKEN": None,  # set: GET /metrics needs `Authorization: Bearer <token>`
    "METRICS_PORT": None,  # set: a worker or beat serves its own metrics on this port
    "METRICS_ADDR": "127.0.0.1",
    "LOG_FORMAT": "text",  # "json": one JSON object per line, for web, worker and beat
    "LOG_LEVEL": "INFO",
}


def celery_defaults(
    broker_url: str, soft_limit: int, hard_limit: int, sweep_interval: int
) -> dict[str, Any]:
    """Celery settings that make the job row, not the message, the source of truth."""
    return {
        "broker_url": broker_url,
        "result_backend": broker_url,
        # Archive state lives in archive_jobs; results would only fill Redis.
        "task_ignore_result": True,
        # Ack after the task returns, so a worker that dies mid-build leaves the message.
        "task_acks_late": True,
        # A child killed by the OS puts the message back instead of acking it.
        "task_reject_on_worker_lost": True,
        # One message at a time per process: a long build never hoards the queue.
        "worker_prefetch_multiplier": 1,
        # The heartbeat stops a build at soft_limit between batches; Celery's signal-driven
        # soft limit is only the backstop, since it can interrupt a driver mid-call.
        "task_soft_time_limit": min(soft_limit + SOFT_LIMIT_GRACE, hard_limit - 1),
        "task_time_limit": hard_limit,
        # Unacked messages come back only after this; it must exceed the hard limit.
        "broker_transport_options": {
            "visibility_timeout": hard_limit + 10 * 60,
            "socket_timeout": 1,
            "socket_connect_timeout": 1,
            # Bounded publish retries so .delay() never hangs a web request.
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        "broker_connection_timeout": 1,
        "broker_connection_retry_on_startup": True,
        "task_publish_retry": True,
        "task_publish_retry_policy": {
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        "redis_socket_timeout": 1,
        "redis_socket_connect_timeout": 1,
        # On SIGTERM, finish the running build before exiting (soft shutdown).
        "worker_soft_shutdown_timeout": 60.0,
        "worker_enable_soft_shutdown_on_idle": True,
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "task_track_started": False,
        # No task events by default: each task would publish three to Redis (and each request
        # one more) that nobody reads unless a monitor runs; Flower turns them on itself, and
        # `celery -A make_celery control enable_events` does for `celery events` (README).
        "worker_send_task_events": False,
        "task_send_sent_event": False,
        "worker_hijack_root_logger": False,
        "beat_schedule": {
            # The sweeper turns lost messages and dead workers back into progress.
            "archives-sweep": {"task": "archives.sweep", "schedule": sweep_interval},
            "archives-purge": {"task": "archives.purge", "schedule": HOUR},
            "imports-sweep": {"task": "imports.sweep", "schedule": sweep_interval},
            # Scheduled exports whose run is due, checked as often as the sweep.
            "archives-schedules": {"task": "archives.run_schedules", "schedule": sweep_interval},
            "erasure-sweep": {"task": "erasure.sweep", "schedule": sweep_interval},
            # Removes what a crash left behind in either direction (webapp/storage/orphans.py).
            "storage-orphans": {"task": "storage.check_orphans", "schedule": 6 * HOUR},
        },
    }
