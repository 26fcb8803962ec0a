"""The unaware phase (before readers learn that some ECGs are synthetic): did synthetic ECGs
get lower quality ratings or fit their labels less often than real ones?"""

from __future__ import annotations

import pandas as pd

from assessment.stats.primary import Analysis, source_comparison


def unaware_summary(frame: pd.DataFrame, alpha: float = 0.05) -> dict[str, Analysis]:
    """Quality and label fit, real vs synthetic, from ``unaware_frame`` rows (one per rating).

    Empty when the study had no unaware phase."""
    if frame.empty:
        return {}
    rows = frame.assign(case=frame["case"].astype(str), reader=frame["reader"].astype(str))
    source = rows["source"]
    return {
        "quality": source_comparison(
            rows, "mean quality", rows["quality"], source, alpha, fom_range=None
        ),
        "label_consistency": source_comparison(
            rows,
            "share consistent",
            rows["label_consistent_answer"].map(lambda v: v if pd.isna(v) else float(bool(v))),
            source,
            alpha,
        ),
    }
