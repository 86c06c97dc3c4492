"""Keepsake: self-service data export on Flask and Celery."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp import config, ops, storage
from webapp.extensions import celery_init_app, csrf, db, login_manager

MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The app cannot start with the configuration it was given."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then FLASK_* variables, then the test's overrides."""
    app = Flask(__name__, instance_relative_config=True)
    _configure(app, test_config)
    ops.init_app(app)
    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    celery_init_app(app)
    _register_features(app)
    return app


def _configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Merge the settings in precedence order and fail fast on unsafe ones."""
    app.config.from_mapping(config.DEFAULTS)
    app.config["CELERY"] = {}
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping({k: v for k, v in test_config.items() if k != "CELERY"})
    secret = app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _secret_from_file(app)
    if not secret or len(str(secret)) < MIN_SECRET_KEY_LENGTH:
        raise ConfigurationError(
            f"SECRET_KEY is missing or shorter than {MIN_SECRET_KEY_LENGTH} characters: "
            "set FLASK_SECRET_KEY, or FLASK_SECRET_KEY_FILE to a file holding it "
            "(make run keeps one for development in instance/secret_key)."
        )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"] or (
        "sqlite:///" + os.path.join(app.instance_path, "keepsake.sqlite")
    )
    for key, folder in (("UPLOAD_DIR", "uploads"), ("ARCHIVE_DIR", "archives")):
        app.config[key] = app.config[key] or os.path.join(app.instance_path, folder)
        os.makedirs(app.config[key], exist_ok=True)
    if problem := storage.settings_problem(app.config):
        raise ConfigurationError(problem)
    secure = bool(app.config["PREFER_HTTPS"])
    app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure)
    if secure:
        app.config["PREFERRED_URL_SCHEME"] = "https"
    celery = config.celery_defaults(
        app.config["BROKER_URL_FALLBACK"],
        int(app.config["ARCHIVE_SOFT_TIME_LIMIT"]),
        int(app.config["ARCHIVE_TIME_LIMIT"]),
        int(app.config["ARCHIVE_SWEEP_INTERVAL"]),
    )
    celery.update(app.config["CELERY"])
    celery.update((test_config or {}).get("CELERY", {}))
    app.config["CELERY"] = celery
    app.config["RATELIMIT_STORAGE_URI"] = (
        app.config["RATELIMIT_STORAGE_URI"] or celery["broker_url"]
    )
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops:
        # Trust X-Forwarded-* only from this many proxies; a client cannot spoof its address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _secret_from_file(app: Flask) -> str | None:
    """Read SECRET_KEY_FILE when it names an existing file; a missing file gives no key."""
    name = app.config["SECRET_KEY_FILE"]
    if not name:
        return None
    path = os.path.join(app.instance_path, str(name))  # an absolute name stays as it is
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as file:
        return file.read().strip() or None


def _register_features(app: Flask) -> None:
    """Attach every feature folder's blueprint, CLI and hooks."""
    from webapp import errors, formatting, health, names, security, validation
    from webapp.admin import dashboard  # noqa: F401  (attach the dashboard's routes to admin_bp)
    from webapp.admin.views import bp as admin_bp
    from webapp.archives import cli as archives_cli
    from webapp.archives import schedule_views  # noqa: F401  (attach routes to the archive blueprints)
    from webapp.archives.api import api_bp
    from webapp.archives.views import pages_bp
    from webapp.auth import account_page, throttle, views  # noqa: F401  (attach routes to auth_bp)
    from webapp.auth import cli as auth_cli
    from webapp.auth.blueprint import bp as auth_bp
    from webapp.erasure import cli as erasure_cli  # noqa: F401  (adds `users erase`)
    from webapp.erasure import views as erasure_views  # noqa: F401  (attach routes to auth_bp)
    from webapp.erasure.api import api_bp as account_api_bp
    from webapp.imports import cli as imports_cli
    from webapp.imports.api import api_bp as imports_api_bp
    from webapp.imports.views import pages_bp as imports_pages_bp
    from webapp.notes import cli as notes_cli
    from webapp.notes import quotas
    from webapp.notes.api import bp as notes_api_bp
    from webapp.notes.views import bp as notes_bp
    from webapp.storage import cli as storage_cli

    validation.init_app(app)  # first: it bounds the <int:...> of every route added below
    for blueprint in (auth_bp, notes_bp, pages_bp, api_bp, admin_bp, health.bp):
        app.register_blueprint(blueprint)
    for blueprint in (notes_api_bp, imports_api_bp, imports_pages_bp, account_api_bp):
        app.register_blueprint(blueprint)
    for group in (
        auth_cli.users,
        notes_cli.demo,
        archives_cli.archives,
        imports_cli.imports,
        storage_cli.storage,
    ):
        app.cli.add_command(group)
    errors.init_app(app)
    formatting.init_app(app)
    security.init_app(app)
    names.init_app(app)
    quotas.init_app(app)
    throttle.init_app(app)
    import webapp.archives.beat  # noqa: F401  (registers the @shared_task functions)
    import webapp.archives.tasks  # noqa: F401
    import webapp.erasure.beat  # noqa: F401
    import webapp.imports.sweeper  # noqa: F401
    import webapp.imports.tasks  # noqa: F401
    import webapp.storage.tasks  # noqa: F401
