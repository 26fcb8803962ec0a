"""Every per-subset statistic for one design: accuracy, detection, ROC, bootstrap CIs, timing."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assessment.stats.accuracy import DEFAULT_MARGIN, accuracy_summary
from assessment.stats.detection import single_design_detection, two_afc_dprime
from assessment.stats.frame import positive_truth
from assessment.stats.pooled import DEFAULT_N_BOOT, two_way_bootstrap
from assessment.stats.roc import roc_analysis


@dataclass(frozen=True)
class AnalysisOptions:
    """Settings shared by every subset analysis of one study summary."""

    margin: tuple[float, float] = DEFAULT_MARGIN
    alpha: float = 0.05
    seed: int = 0
    n_boot: int = DEFAULT_N_BOOT


def analyse_subset(rows: pd.DataFrame, design: str, options: AnalysisOptions) -> dict:
    """All statistics for the judgments ``rows`` (already validated, all of one design)."""
    if design not in ("single", "paired"):
        raise ValueError(f"design must be 'single' or 'paired', got {design!r}")
    correct = rows["correct"].to_numpy(dtype=bool)
    result = {
        "n_readers": int(rows["reader"].nunique()),
        "n_cases": int(rows["case"].nunique()),
        "accuracy": accuracy_summary(
            int(correct.sum()), len(correct), options.margin, options.alpha
        ),
    }
    truth_positive = positive_truth(rows)
    everyone = np.ones(len(rows), dtype=bool)
    rates = {"accuracy": (correct, everyone)}
    if design == "single":
        answer_positive = (rows["answer"] == "synthetic").to_numpy(dtype=bool)
        result["detection"] = single_design_detection(truth_positive, answer_positive)
        rates["error_on_real"] = (answer_positive, ~truth_positive)
        rates["error_on_synthetic"] = (~answer_positive, truth_positive)
    else:
        result["detection"] = two_afc_dprime(int(correct.sum()), len(correct))
    result["bootstrap"] = two_way_bootstrap(
        rows["reader"].to_numpy(),
        rows["case"].to_numpy(),
        rates,
        options.n_boot,
        options.seed,
        options.alpha,
    )
    result["roc"] = roc_analysis(
        rows["signed_confidence"].to_numpy(dtype=float), truth_positive, options.alpha
    )
    result["timing"] = timing_summary(rows)
    return result


def timing_summary(rows: pd.DataFrame) -> dict:
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
