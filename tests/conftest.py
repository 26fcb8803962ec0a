"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.personas import admin, reader_a, reader_b  # noqa: F401  (fixtures)
from tests.shared_data import shared_data_dir


@pytest.fixture
def shared_data() -> Path:
    """The ../shared/data folder of real ECGs; the test is skipped when it is absent."""
    return shared_data_dir()
