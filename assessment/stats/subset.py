"""Descriptive statistics of any subset of one design's judgments (a round, a reader, a
stratum), from one registry: a new statistic is one function and one entry in
``SUBSET_STATISTICS``.

The per-judgment accuracy interval (Clopper-Pearson) treats judgments as independent: right
for one reader, too narrow for several. ``reader_averaged`` is the OR-Hillis estimate that
accounts for readers and cases and is the one to quote for a group.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from assessment.stats.accuracy import DEFAULT_MARGIN, accuracy_summary
from assessment.stats.detection import single_design_detection, two_afc_dprime
from assessment.stats.frame import positive_truth
from assessment.stats.primary import accuracy_estimate, accuracy_needs
from assessment.stats.roc import roc_analysis


@dataclass(frozen=True)
class AnalysisOptions:
    """Settings shared by every subset analysis of one study summary."""

    margin: tuple[float, float] = DEFAULT_MARGIN
    alpha: float = 0.05


def n_readers(rows: pd.DataFrame, design: str, options: AnalysisOptions) -> int:
    """Readers with judgments in the subset."""
    return int(rows["reader"].nunique())


def n_cases(rows: pd.DataFrame, design: str, options: AnalysisOptions) -> int:
    """Cases judged in the subset."""
    return int(rows["case"].nunique())


def accuracy(rows: pd.DataFrame, design: str, options: AnalysisOptions) -> dict:
    """Share right over judgments: exact interval, test against 0.5 and TOST (one reader)."""
    correct = rows["correct"].to_numpy(dtype=bool)
    return accuracy_summary(int(correct.sum()), len(correct), options.margin, options.alpha)


def reader_averaged(rows: pd.DataFrame, design: str, options: AnalysisOptions) -> dict:
    """OR-Hillis reader-averaged accuracy, balanced in the single design (random readers and
    cases; fixed with one reader)."""
    estimate = accuracy_estimate(rows, design, options.margin, options.alpha)
    if estimate is None:
        return {"computable": False, "reason": f"needs {accuracy_needs(design)} per reader"}
    generalisation, value = estimate
    return {"computable": True, "generalisation": generalisation, **asdict(value)}


def detection(rows: pd.DataFrame, design: str, options: AnalysisOptions) -> dict:
    """Sensitivity, specificity, d' and criterion (single); 2AFC d' (paired)."""
    if design == "single":
        answer_positive = (rows["answer"] == "synthetic").to_numpy(dtype=bool)
        return single_design_detection(positive_truth(rows), answer_positive)
    correct = rows["correct"].to_numpy(dtype=bool)
    return two_afc_dprime(int(correct.sum()), len(correct))


def roc(rows: pd.DataFrame, design: str, options: AnalysisOptions) -> dict:
    """ROC curve and AUC of the signed confidence (DeLong CI, judgments independent)."""
    scores = rows["signed_confidence"].to_numpy(dtype=float)
    return roc_analysis(scores, positive_truth(rows), options.alpha)


def timing(rows: pd.DataFrame, design: str, options: AnalysisOptions) -> dict:
    """Median and quartiles of decision time and the mean number of answer changes."""
    times = rows["decision_time_s"].dropna().to_numpy(dtype=float)
    changes = rows["answer_changes"].dropna().to_numpy(dtype=float)
    quartiles = np.quantile(times, [0.25, 0.5, 0.75]) if len(times) else [math.nan] * 3
    return {
        "n_timed": int(len(times)),
        "median_s": float(quartiles[1]),
        "q1_s": float(quartiles[0]),
        "q3_s": float(quartiles[2]),
        "mean_answer_changes": float(changes.mean()) if len(changes) else math.nan,
    }


SubsetStatistic = Callable[[pd.DataFrame, str, AnalysisOptions], object]
SUBSET_STATISTICS: dict[str, SubsetStatistic] = {
    "n_readers": n_readers,
    "n_cases": n_cases,
    "accuracy": accuracy,
    "reader_averaged": reader_averaged,
    "detection": detection,
    "roc": roc,
    "timing": timing,
}


def analyse_subset(rows: pd.DataFrame, design: str, options: AnalysisOptions) -> dict:
    """Every registered statistic for the judgments ``rows`` (validated, all of one design)."""
    if design not in ("single", "paired"):
        raise ValueError(f"design must be 'single' or 'paired', got {design!r}")
    return {name: statistic(rows, design, options) for name, statistic in SUBSET_STATISTICS.items()}
