"""JSON export of a ``study_summary`` dict: stable key order, strict JSON (no NaN tokens)."""

from __future__ import annotations

import json
from pathlib import Path

from assessment.stats.serialise import to_jsonable


def summary_json(summary: dict) -> str:
    """Serialise the summary; keys keep the summary's deterministic construction order."""
    return json.dumps(to_jsonable(summary), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_summary_json(summary: dict, path: str | Path) -> Path:
    """Write :func:`summary_json` to ``path`` (UTF-8) and return the path."""
    target = Path(path)
    target.write_text(summary_json(summary), encoding="utf-8")
    return target
