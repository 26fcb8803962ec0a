"""ROC analysis of signed confidence ratings: curve points, AUC and a DeLong confidence interval.

The AUC CI uses DeLong, DeLong & Clarke-Pearson (1988) variance computed from midranks
(Sun & Xu 2014), with a Wald interval AUC +/- z * SE clipped to [0, 1]. It treats judgments as
independent; reader and case clustering is not part of it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def roc_curve_points(scores: np.ndarray, positive: np.ndarray) -> dict:
    """False/true positive rates at every distinct score threshold ("score >= t" is positive).

    The first point is (0, 0) with threshold +inf; the last is (1, 1).
    """
    scores, positive = _clean(scores, positive)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return {"fpr": [], "tpr": [], "thresholds": []}
    thresholds = np.unique(scores)[::-1]
    # searchsorted on sorted scores counts how many lie at or above each threshold.
    pos_sorted = np.sort(scores[positive])
    neg_sorted = np.sort(scores[~positive])
    tp = n_pos - np.searchsorted(pos_sorted, thresholds, side="left")
    fp = n_neg - np.searchsorted(neg_sorted, thresholds, side="left")
    return {
        "fpr": [0.0, *(fp / n_neg).tolist()],
        "tpr": [0.0, *(tp / n_pos).tolist()],
        "thresholds": [math.inf, *thresholds.astype(float).tolist()],
    }


def mann_whitney_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """The AUC alone of finite ``scores`` (ties count 1/2) from one ranking, for callers that
    need many AUCs and no interval (permutation tests); NaN without both classes."""
    positive = np.asarray(positive, dtype=bool)
    m = int(positive.sum())
    n = len(positive) - m
    if m == 0 or n == 0:
        return math.nan
    ranks = stats.rankdata(np.asarray(scores, dtype=float))
    return float((ranks[positive].sum() - m * (m + 1) / 2) / (m * n))


def delong_auc(scores: np.ndarray, positive: np.ndarray, alpha: float = 0.05) -> dict:
    """AUC (Mann–Whitney, ties count 1/2) with DeLong standard error and Wald CI."""
    scores, positive = _clean(scores, positive)
    pos_scores, neg_scores = scores[positive], scores[~positive]
    m, n = len(pos_scores), len(neg_scores)
    result = {
        "auc": math.nan,
        "se": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "n_positive": m,
        "n_negative": n,
    }
    if m == 0 or n == 0:
        return result
    combined_ranks = stats.rankdata(np.concatenate([pos_scores, neg_scores]))
    pos_ranks = stats.rankdata(pos_scores)
    neg_ranks = stats.rankdata(neg_scores)
    # Structural components: share of negatives each positive beats, and vice versa.
    v10 = (combined_ranks[:m] - pos_ranks) / n
    v01 = 1.0 - (combined_ranks[m:] - neg_ranks) / m
    auc = float(v10.mean())
    result["auc"] = auc
    if m < 2 or n < 2:
        return result
    variance = v10.var(ddof=1) / m + v01.var(ddof=1) / n
    se = math.sqrt(max(variance, 0.0))
    z = stats.norm.ppf(1 - alpha / 2)
    result.update(se=se, ci_low=max(0.0, auc - z * se), ci_high=min(1.0, auc + z * se))
    return result


def roc_analysis(scores: np.ndarray, positive: np.ndarray, alpha: float = 0.05) -> dict:
    """AUC with DeLong CI and curve points; rows with a missing score are skipped and counted."""
    scores = np.asarray(scores, dtype=float)
    missing = int(np.isnan(scores).sum())
    return {
        **delong_auc(scores, positive, alpha),
        "n_used": int(len(scores) - missing),
        "n_missing_confidence": missing,
        "curve": roc_curve_points(scores, positive),
    }


def _clean(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=float)
    positive = np.asarray(positive, dtype=bool)
    if scores.shape != positive.shape or scores.ndim != 1:
        raise ValueError("scores and positive must be 1-D arrays of the same length")
    keep = ~np.isnan(scores)
    return scores[keep], positive[keep]
