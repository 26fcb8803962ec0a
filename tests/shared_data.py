"""Location of the real ECG data in ../shared/data, and a skip when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data_dir() -> Path:
    """Return ../shared/data, skipping the calling test with a clear reason when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real ECG data folder {SHARED_DATA} is absent (it ships beside the repo)")
    return SHARED_DATA
