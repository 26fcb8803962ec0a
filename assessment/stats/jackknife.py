"""Reader-level figures of merit with their leave-one-case-out (jackknife) values.

Every function takes reader x case matrices (NaN where a reader did not judge a case) and
returns ``ReaderFoms``: the figure of merit of each reader and, for every case k, the value it
takes with case k left out. A case the reader did not judge leaves the reader's figure of
merit unchanged. These are the inputs of the Obuchowski-Rockette analysis (``mrmc``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class ReaderFoms:
    """Figures of merit of r readers on c cases: ``fom`` (r,) and ``leave_out`` (r, c)."""

    fom: np.ndarray
    leave_out: np.ndarray

    @property
    def n_readers(self) -> int:
        return int(self.fom.shape[0])

    @property
    def n_cases(self) -> int:
        return int(self.leave_out.shape[1])


def case_mean(values: np.ndarray) -> ReaderFoms:
    """Each reader's mean over judged cases (``values``: r x c, NaN = not judged); with 0/1
    values it is the share right (percent correct).

    Leaving out judged case k: (S - x_k) / (n - 1); readers need at least two judged cases.
    """
    correct = _matrix(values, "values")
    judged = ~np.isnan(correct)
    counts = judged.sum(axis=1)
    if (counts < 2).any():
        raise ValueError("every reader needs at least two judged cases")
    totals = np.nansum(correct, axis=1)
    fom = totals / counts
    left_out = (totals[:, None] - np.nan_to_num(correct)) / (counts[:, None] - 1)
    return ReaderFoms(fom, np.where(judged, left_out, fom[:, None]))


def balanced_accuracy(correct: np.ndarray, positive: np.ndarray) -> ReaderFoms:
    """Mean of the share right on positive cases and on negative cases (sensitivity and
    specificity), per reader: unlike percent correct it does not depend on the class mix."""
    positive = np.asarray(positive, dtype=bool)
    correct = _matrix(correct, "correct")
    sensitivity = case_mean(np.where(positive[None, :], correct, np.nan))
    specificity = case_mean(np.where(~positive[None, :], correct, np.nan))
    return ReaderFoms(
        (sensitivity.fom + specificity.fom) / 2,
        (sensitivity.leave_out + specificity.leave_out) / 2,
    )


def balanced_accuracy_usable(correct: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Readers with two judged cases of each class."""
    positive = np.asarray(positive, dtype=bool)
    judged = ~np.isnan(np.asarray(correct, dtype=float))
    return ((judged & positive).sum(axis=1) >= 2) & ((judged & ~positive).sum(axis=1) >= 2)


def case_mean_usable(values: np.ndarray) -> np.ndarray:
    """Readers (rows) with the two judged cases ``case_mean`` needs."""
    return (~np.isnan(np.asarray(values, dtype=float))).sum(axis=1) >= 2


def wilcoxon_auc_usable(scores: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Readers (rows) with the two rated cases of each class ``wilcoxon_auc`` needs."""
    rated = ~np.isnan(np.asarray(scores, dtype=float))
    positive = np.asarray(positive, dtype=bool)
    return ((rated & positive).sum(axis=1) >= 2) & ((rated & ~positive).sum(axis=1) >= 2)


def wilcoxon_auc(scores: np.ndarray, positive: np.ndarray) -> ReaderFoms:
    """Empirical (trapezoidal, Mann-Whitney) AUC per reader; ties count one half.

    ``scores`` is r x c (NaN: not rated), ``positive`` the truth of each case (c,). Leaving out
    a positive case p gives (m A - V10_p) / (m - 1), a negative q (n A - V01_q) / (n - 1), with
    the DeLong structural components V10, V01. Readers need two rated cases of each class.
    """
    scores = _matrix(scores, "scores")
    positive = np.asarray(positive, dtype=bool)
    if positive.shape != (scores.shape[1],):
        raise ValueError("positive must hold one truth value per case (column of scores)")
    fom = np.empty(scores.shape[0])
    left_out = np.empty_like(scores)
    for reader, row in enumerate(scores):
        rated = ~np.isnan(row)
        pos, neg = rated & positive, rated & ~positive
        m, n = int(pos.sum()), int(neg.sum())
        if m < 2 or n < 2:
            raise ValueError("every reader needs two rated cases of each class for the AUC")
        combined = stats.rankdata(np.concatenate([row[pos], row[neg]]))
        v10 = (combined[:m] - stats.rankdata(row[pos])) / n
        v01 = 1.0 - (combined[m:] - stats.rankdata(row[neg])) / m
        auc = float(v10.mean())
        fom[reader] = auc
        left_out[reader] = auc
        left_out[reader, pos] = (m * auc - v10) / (m - 1)
        left_out[reader, neg] = (n * auc - v01) / (n - 1)
    return ReaderFoms(fom, left_out)


def _matrix(values: np.ndarray, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[0] < 1 or values.shape[1] < 2:
        raise ValueError(f"{name} must be a readers x cases matrix with at least two cases")
    return values
