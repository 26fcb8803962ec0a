"""Per-case difficulty and per-reader speed flags of one design's round-1 judgments."""

from __future__ import annotations

import pandas as pd

# A reader whose median decision is faster than this, or than this share of the median
# reader's, is flagged: a 12-lead ECG cannot be judged on its clinical content that fast.
FAST_SECONDS = 3.0
FAST_SHARE_OF_TYPICAL = 0.33


def case_table(rows: pd.DataFrame) -> list[dict]:
    """One entry per case, most often told apart first: readers, share right, time, labels."""
    grouped = rows.groupby("case", sort=True)
    table = pd.DataFrame(
        {
            "n_readers": grouped["reader"].nunique(),
            "share_right": grouped["correct"].mean(),
            "median_time_s": grouped["decision_time_s"].median(),
            "superclass": grouped["superclass"].first(),
            "label_set": grouped["label_set"].first(),
            "generator": grouped["generator"].first(),
        }
    )
    table = table.sort_values(["share_right", "n_readers"], ascending=[False, False])
    return [{"case": str(case), **entry} for case, entry in table.iterrows()]


def fast_readers(rows: pd.DataFrame) -> list[dict]:
    """Readers whose median decision time is implausibly short (see ``FAST_SECONDS``)."""
    medians = rows.groupby("reader", sort=True)["decision_time_s"].median().dropna()
    if medians.empty:
        return []
    typical = float(medians.median())
    threshold = max(FAST_SECONDS, FAST_SHARE_OF_TYPICAL * typical)
    return [
        {"reader": str(reader), "median_time_s": float(median), "threshold_s": threshold}
        for reader, median in medians.items()
        if median < threshold
    ]
