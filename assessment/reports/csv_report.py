"""Long-format CSV export: one row per judgment, fixed column order, deterministic row order."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from assessment.stats.frame import validate

ROW_ORDER = ("reader", "design", "round", "time_shown_s", "item")
# Whole-number columns stored as float because they may be missing; written without ".0".
INTEGER_COLUMNS = ("confidence", "answer_changes", "signed_confidence")


def judgments_csv(judgments: pd.DataFrame) -> str:
    """The validated judgments as CSV text.

    Columns: the contract columns in ``frame.CONTRACT_COLUMNS`` order, then the derived
    ``signed_confidence``, ``verdict`` and ``decision_time_s``, then any extra columns sorted by
    name. Rows are sorted by reader, design, round, time shown and item token. Missing values
    are empty cells; booleans are written as True/False; confidence, answer changes and signed
    confidence are written as integers.
    """
    frame = validate(judgments)
    frame = frame.sort_values(list(ROW_ORDER), kind="mergesort", na_position="last")
    for column in INTEGER_COLUMNS:
        frame[column] = frame[column].round().astype("Int64")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def write_judgments_csv(judgments: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`judgments_csv` to ``path`` (UTF-8) and return the path."""
    target = Path(path)
    target.write_text(judgments_csv(judgments), encoding="utf-8")
    return target
