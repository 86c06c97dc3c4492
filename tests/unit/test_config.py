"""Configuration precedence and the refusal to start without a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp import ConfigurationError, create_app

SECRET = "x" * 40


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for key in (
        "FLASK_SECRET_KEY",
        "FLASK_SECRET_KEY_FILE",
        "FLASK_SQLALCHEMY_DATABASE_URI",
        "FLASK_CELERY__broker_url",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FLASK_UPLOAD_DIR", str(tmp_path / "u"))
    monkeypatch.setenv("FLASK_ARCHIVE_DIR", str(tmp_path / "a"))
    return monkeypatch


@pytest.mark.parametrize("secret", [None, "", "short"])
def test_refuses_to_start_without_a_strong_secret_key(
    env: pytest.MonkeyPatch, secret: str | None
) -> None:
    if secret is not None:
        env.setenv("FLASK_SECRET_KEY", secret)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_prefixed_environment_configures_a_deployment(env: pytest.MonkeyPatch) -> None:
    env.setenv("FLASK_SECRET_KEY", SECRET)
    env.setenv("FLASK_CELERY__broker_url", "redis://broker.example:6390/3")
    env.setenv("FLASK_SQLALCHEMY_DATABASE_URI", "postgresql+psycopg://u@db.example/k")
    env.setenv("FLASK_ARCHIVE_TTL", "60")
    app = create_app()
    celery_app = app.extensions["celery"]
    assert celery_app.conf.broker_url == "redis://broker.example:6390/3"
    assert celery_app.conf.task_acks_late is True  # our defaults survive the override
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/k"
    assert app.config["ARCHIVE_TTL"] == 60


def test_time_limits_sit_below_the_visibility_timeout(env: pytest.MonkeyPatch) -> None:
    env.setenv("FLASK_SECRET_KEY", SECRET)
    env.setenv("FLASK_ARCHIVE_TIME_LIMIT", "7200")
    conf = create_app().extensions["celery"].conf
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_time_limit < conf.broker_transport_options["visibility_timeout"]
    assert conf.worker_prefetch_multiplier == 1 and conf.task_reject_on_worker_lost


def test_https_makes_cookies_secure(env: pytest.MonkeyPatch) -> None:
    env.setenv("FLASK_SECRET_KEY", SECRET)
    env.setenv("FLASK_PREFER_HTTPS", "true")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_secret_key_is_read_from_the_file_it_names(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(SECRET + "\n")
    env.setenv("FLASK_SECRET_KEY_FILE", str(key_file))
    assert create_app().config["SECRET_KEY"] == SECRET


@pytest.mark.parametrize("content", [None, "", "short"])
def test_a_missing_or_weak_secret_key_file_still_refuses_to_start(
    env: pytest.MonkeyPatch, tmp_path: Path, content: str | None
) -> None:
    key_file = tmp_path / "secret_key"
    if content is not None:
        key_file.write_text(content)
    env.setenv("FLASK_SECRET_KEY_FILE", str(key_file))
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"FLASK_STORAGE_BACKEND": "nfs"}, "STORAGE_BACKEND must be one of local, s3"),
        ({"FLASK_STORAGE_BACKEND": "s3"}, "needs S3_BUCKET"),
    ],
)
def test_refuses_to_start_with_a_storage_backend_that_cannot_work(
    env: pytest.MonkeyPatch, settings: dict[str, str], problem: str
) -> None:
    env.setenv("FLASK_SECRET_KEY", SECRET)
    for key, value in settings.items():
        env.setenv(key, value)
    with pytest.raises(ConfigurationError, match=problem):
        create_app()
