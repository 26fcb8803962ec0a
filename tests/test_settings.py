"""Settings come from the environment and refuse unsafe production values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
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
        ({"SECRET_KEY": "s3cret-value", "DEBUG": "1"}, "refuses DEBUG"),
        ({"SECRET_KEY": "s3cret-value"}, "needs DATABASE_URL"),
        (
            {"SECRET_KEY": "s3cret-value", "DATABASE_URL": "postgres://u@h/db"},
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
    result = load_settings(
        DJANGO_ENV="production",
        SECRET_KEY="s3cret-value",
        DATABASE_URL="postgres://u@h/db",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="DATABASE_URL is not PostgreSQL"
)
def test_suite_runs_on_postgresql(db):
    assert connection.vendor == "postgresql"
