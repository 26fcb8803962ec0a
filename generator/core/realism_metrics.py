"""Multi-label classification metrics as the SSSD-ECG-nle paper reports them: per class
ROC-AUC, F1 and G-mean (sqrt(sensitivity x specificity)), and their macro averages."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count one half); needs both classes."""
    labels = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC-AUC needs at least one positive and one negative example")
    ranks = rankdata(np.asarray(scores, dtype=float))
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _counts(labels: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int, int]:
    labels, predicted = np.asarray(labels, dtype=bool), np.asarray(predicted, dtype=bool)
    tp = int((labels & predicted).sum())
    fp = int((~labels & predicted).sum())
    fn = int((labels & ~predicted).sum())
    return tp, fp, fn, int((~labels & ~predicted).sum())


def f1(labels: np.ndarray, predicted: np.ndarray) -> float:
    """2TP / (2TP + FP + FN); 0 when there is nothing to count (as sklearn's default)."""
    tp, fp, fn, _ = _counts(labels, predicted)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def g_mean(labels: np.ndarray, predicted: np.ndarray) -> float:
    """sqrt(sensitivity x specificity); a missing class's rate counts as 0."""
    tp, fp, fn, tn = _counts(labels, predicted)
    sensitivity = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0
    return float(np.sqrt(sensitivity * specificity))


def multilabel_metrics(
    labels: np.ndarray,
    probabilities: np.ndarray,
    classes: Sequence[str],
    threshold: float = 0.5,
) -> dict:
    """Per class (AUC of the probabilities, F1 and G-mean of ``probability >= threshold``,
    counts) and the unweighted macro averages over the classes."""
    labels, probabilities = np.asarray(labels), np.asarray(probabilities, dtype=float)
    if labels.shape != probabilities.shape or labels.shape[1:] != (len(classes),):
        raise ValueError(
            f"labels {labels.shape} and probabilities {probabilities.shape} must both be "
            f"(n, {len(classes)})"
        )
    per_class = {}
    for j, name in enumerate(classes):
        y, p = labels[:, j].astype(bool), probabilities[:, j]
        per_class[name] = {
            "auc": roc_auc(y, p),
            "f1": f1(y, p >= threshold),
            "g_mean": g_mean(y, p >= threshold),
            "n_positive": int(y.sum()),
            "n": int(len(y)),
        }
    macro = {
        metric: float(np.mean([per_class[c][metric] for c in classes]))
        for metric in ("auc", "f1", "g_mean")
    }
    return {"macro": macro, "per_class": per_class, "threshold": threshold}
