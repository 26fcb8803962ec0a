"""Settings come from the environment and refuse unsafe production values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "k" + "".join(chr(ord("a") + i % 26) for i in range(59))
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "DATABASE_URL": "postgres://u@h/db",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def clean_environment() -> dict[str, str]:
    """This process's environment without the test run's database and broker, and without
    the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (it must not leak into a deployment check)."""
    unset = {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {k: v for k, v in os.environ.items() if k not in unset}


def load_settings(
    code: str = "print(s.DATABASES['default']['ENGINE'])", **env: str
) -> subprocess.CompletedProcess:
    clean = clean_environment()
    return subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; {code}"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_embedded_default_is_sqlite_in_a_folder_it_creates(tmp_path):
    var = tmp_path / "fresh" / "var"
    result = load_settings(ECG_VAR_DIR=str(var))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"
    assert var.is_dir()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "needs SECRET_KEY"),
        ({"SECRET_KEY": "s3cret-value"}, "at least 50 characters"),
        ({"SECRET_KEY": "a" * 60}, "at least 50 characters"),
        ({"SECRET_KEY": STRONG_KEY, "DEBUG": "1"}, "refuses DEBUG"),
        ({"SECRET_KEY": STRONG_KEY}, "needs DATABASE_URL"),
        (
            {"SECRET_KEY": STRONG_KEY, "DATABASE_URL": "postgres://u@h/db"},
            "needs CELERY_BROKER_URL",
        ),
        ({"SECRET_KEY": "x", "DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
    ],
)
def test_production_refuses_unsafe_settings(env, message):
    result = load_settings(DJANGO_ENV="production", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_with_real_settings_starts():
    result = load_settings(**PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_debug_is_off_unless_asked(tmp_path):
    assert load_settings("print(s.DEBUG)", ECG_VAR_DIR=str(tmp_path)).stdout.strip() == "False"
    asked = load_settings("print(s.DEBUG)", ECG_VAR_DIR=str(tmp_path), DEBUG="1")
    assert asked.stdout.strip() == "True"


def test_deployment_check_is_clean_in_production_mode():
    clean = clean_environment()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="DATABASE_URL is not PostgreSQL"
)
def test_suite_runs_on_postgresql(db):
    assert connection.vendor == "postgresql"


def test_behind_a_proxy_axes_reads_the_forwarded_client_address(tmp_path):
    code = "print(getattr(s, 'AXES_CLIENT_IP_CALLABLE', None))"
    plain = load_settings(code, ECG_VAR_DIR=str(tmp_path))
    proxied = load_settings(code, ECG_VAR_DIR=str(tmp_path), BEHIND_HTTPS_PROXY="1")
    assert plain.stdout.strip() == "None"
    assert proxied.stdout.strip() == "config.client_ip.forwarded_client_ip"


@pytest.mark.parametrize(("way", "fails"), [("fft", True), ("Convolution", False), ("", False)])
def test_a_misspelt_pointwise_way_stops_a_process_at_start(way, fails):
    result = load_settings(
        "import django; django.setup(); print('started')",
        DJANGO_SETTINGS_MODULE="config.settings",
        GENERATOR_POINTWISE=way,
    )
    assert (result.returncode != 0) is fails, result.stderr
    if fails:
        assert "ImproperlyConfigured: GENERATOR_POINTWISE must be one of auto, product, " in (
            result.stderr
        )
    else:
        assert result.stdout.strip() == "started"
