"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.personas import admin, reader_a, reader_b  # noqa: F401  (fixtures)
from tests.shared_data import shared_data_dir


@pytest.fixture
def shared_data() -> Path:
    """The ../shared/data folder of real ECGs; the test is skipped when it is absent."""
    return shared_data_dir()


@pytest.fixture(autouse=True)
def kernel_cache_dir(tmp_path: Path):
    """Each test keeps the S4 kernel caches of its sampling jobs in its own folder (never
    the project's var/), whatever it calls its own fixtures or parameters. Without Django
    (``-p no:django``, for the pure tests) there are no settings to override."""
    folder = tmp_path / "kernel-cache"
    if not settings.configured:
        yield folder
        return
    with override_settings(GENERATOR_KERNEL_CACHE_DIR=str(folder)):
        yield folder


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With ECG_FAIL_ON_SKIP=1 (set by .ci/run) a skipped test fails the run: in CI a missing
    data folder, browser or Redis is an error, on a laptop only a skip."""
    if os.environ.get("ECG_FAIL_ON_SKIP") != "1" or exitstatus != pytest.ExitCode.OK:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"ECG_FAIL_ON_SKIP=1: {len(skipped)} test(s) skipped; CI must run them all",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
