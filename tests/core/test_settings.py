"""Start-up with bad configuration stops with one line naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup()"


def run_with(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TRACKER_ENV", "SECRET_KEY", "DEBUG"}}
    env.update(overrides)
    env["DJANGO_SETTINGS_MODULE"] = "tracker.settings"
    return subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"TRACKER_ENV": "staging"}, "TRACKER_ENV"),
        ({"TRACKER_ENV": "production", "ALLOWED_HOSTS": "x.example"}, "SECRET_KEY"),
        ({"TRACKER_ENV": "production", "ALLOWED_HOSTS": "x.example", "SECRET_KEY": "k" * 60}, "EMAIL_URL"),
        ({"DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"CELERY_BROKER_URL": "kafka://x"}, "CELERY_BROKER_URL"),
        ({"DATABASE_STATEMENT_TIMEOUT": "-1"}, "DATABASE_STATEMENT_TIMEOUT"),
        ({"DATABASE_STATEMENT_TIMEOUT": "soon"}, "DATABASE_STATEMENT_TIMEOUT"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ],
)
def test_invalid_environment_stops_with_one_line_naming_the_variable(overrides, variable):
    result = run_with(**overrides)

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_production_settings_pass_the_deploy_check():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(TRACKER_ENV="production", SECRET_KEY="x" * 20 + "-production-secret-key-for-the-check-0123456789",
               ALLOWED_HOSTS="status.example.com", EMAIL_URL="smtp://mail.example.com:587/?tls=True")  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def postgresql_option(option: str, variable: str, value: str | None) -> str:
    """The database OPTIONS entry the settings build for PostgreSQL with `variable` set to `value` (None: unset).

    Settings only: nothing connects, so no server is needed.
    """
    show = f"from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get({option!r}))"
    env = {k: v for k, v in os.environ.items() if k not in {variable, "TRACKER_ENV", "DEBUG"}}
    env.update(DATABASE_URL="postgres://u@db.invalid:5432/x", DJANGO_SETTINGS_MODULE="tracker.settings")
    if value is not None:
        env[variable] = value
    result = subprocess.run(
        [sys.executable, "-c", f"{SETUP}; {show}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(("value", "expected"), [(None, "True"), ("false", "False")])
def test_postgresql_binds_parameters_on_the_server_unless_turned_off(value, expected):
    assert postgresql_option("server_side_binding", "DATABASE_SERVER_SIDE_BINDING", value) == expected


def test_celery_reads_every_celery_setting_under_its_own_name():
    from django.conf import settings

    from tracker.celery import app
    from tracker.celery_settings import CONFIG

    names = [name for name in dir(settings) if name.startswith("CELERY_")]
    assert {"CELERY_BROKER_URL", "CELERY_TASK_ACKS_LATE", "CELERY_BEAT_SCHEDULE"} <= set(names)
    assert {name.removeprefix("CELERY_").lower(): getattr(settings, name) for name in names} == CONFIG
    # Django's values, not Celery's defaults (the tests themselves change only task_always_eager).
    assert app.conf.task_ignore_result is True and app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE


@pytest.mark.parametrize(("value", "expected"), [(None, "None"), ("0", "None"), ("30", "-c statement_timeout=30000")])
def test_statement_timeout_reaches_postgresql_only_when_set(value, expected):
    assert postgresql_option("options", "DATABASE_STATEMENT_TIMEOUT", value) == expected
