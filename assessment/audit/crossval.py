"""Cross-validated probabilities that panels are synthetic, folds never splitting a case."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold
from sklearn.preprocessing import StandardScaler

N_FOLDS = 5
N_REPEATS = 10
RANDOM_STATE = 20240611
Split = tuple[np.ndarray, np.ndarray]


def usable_features(table: Mapping[str, Sequence[float]], names: Sequence[str]) -> tuple[str, ...]:
    """The named columns that are finite for every panel and not constant."""
    kept = []
    for name in names:
        column = np.asarray(table[name], dtype=np.float64)
        if np.all(np.isfinite(column)) and np.ptp(column) > 0:
            kept.append(name)
    return tuple(kept)


def case_splits(
    is_synthetic: Sequence[bool], cases: Sequence[str], *, repeats: int = N_REPEATS
) -> tuple[list[Split], str]:
    """(train, test) index pairs that never split a case, and a description of the scheme.

    Stratified 5-fold by case, ``repeats`` repeats; leave one case out when fewer than 10
    cases.
    Leaving out one case of a balanced set biases a classifier without information
    towards the wrong class (its training means move away from the case left out), which
    drives the cross-validated AUC far below 0.5; larger folds, repeated, mostly do not.
    """
    y = np.asarray(is_synthetic, dtype=bool)
    groups = np.unique(np.asarray(cases, dtype=str), return_inverse=True)[1]
    if groups.max(initial=-1) + 1 < 2 * N_FOLDS:
        splits = list(LeaveOneGroupOut().split(y, y, groups))
        return splits, f"leave-one-case-out ({len(splits)} folds)"
    splits = []
    for repeat in range(repeats):
        folds = StratifiedGroupKFold(N_FOLDS, shuffle=True, random_state=RANDOM_STATE + repeat)
        splits.extend(folds.split(y, y, groups))
    return splits, f"stratified {N_FOLDS}-fold by case, {N_REPEATS} repeats"


Fold = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def scaled_folds(x: np.ndarray, splits: list[Split]) -> list[Fold]:
    """Per split: train and test indices and their features standardised on the training
    fold (the Pipeline's StandardScaler step, done once so permutations can reuse it)."""
    folds = []
    for train, test in splits:
        scaler = StandardScaler().fit(x[train])
        folds.append((train, test, scaler.transform(x[train]), scaler.transform(x[test])))
    return folds


def fold_scores(folds: list[Fold], y: np.ndarray) -> np.ndarray:
    """Each panel's mean out-of-fold probability of being synthetic (logistic regression,
    C = 1, on the standardised features of each training fold; all folds fitted at once)."""
    total = np.zeros(len(y))
    count = np.zeros(len(y))
    fitted = [i for i, fold in enumerate(folds) if np.unique(y[fold[0]]).size == 2]
    models = fit_logistic_batch([folds[i][2] for i in fitted], [y[folds[i][0]] for i in fitted])
    by_fold = dict(zip(fitted, models, strict=True))
    for i, (train, test, _, x_test) in enumerate(folds):
        if i in by_fold:
            weights, intercept = by_fold[i]
            probability = _sigmoid(x_test @ weights + intercept)
        else:
            probability = np.full(len(test), float(np.mean(y[train])))
        total[test] += probability
        count[test] += 1
    return total / count


def fit_logistic(
    x: np.ndarray, y: np.ndarray, *, c: float = 1.0, tol: float = 1e-10
) -> tuple[np.ndarray, float]:
    """Weights and intercept of L2-penalised logistic regression (scikit-learn's objective
    with ``C = c``: the intercept is not penalised), by Newton's method."""
    return fit_logistic_batch([x], [y], c=c, tol=tol)[0]


def fit_logistic_batch(
    xs: list[np.ndarray], ys: list[np.ndarray], *, c: float = 1.0, tol: float = 1e-10
) -> list[tuple[np.ndarray, float]]:
    """:func:`fit_logistic` of several data sets with the same features at once: their
    rows padded to the longest with zero weight, one batched Newton step per iteration,
    each model's steps stopping once its own largest step is below ``tol``.

    The audit fits thousands of tiny models (permutation tests); on a few features this
    is about a hundred times faster than scikit-learn's per-call overhead allows, and a
    test checks it against ``LogisticRegression``.
    """
    if not xs:
        return []
    k = xs[0].shape[1]
    rows = max(len(x) for x in xs)
    design = np.zeros((len(xs), rows, k + 1))  # intercept last
    target = np.zeros((len(xs), rows))
    used = np.zeros((len(xs), rows))
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        design[i, : len(x), :k] = x
        design[i, : len(x), k] = 1.0
        target[i, : len(y)] = y
        used[i, : len(y)] = 1.0
    penalty = np.r_[np.full(k, 1.0 / c), 0.0]
    curvature = np.diag(penalty) + 1e-12 * np.eye(k + 1)
    beta = np.zeros((len(xs), k + 1))
    active = np.ones(len(xs), dtype=bool)
    for _ in range(100):
        p = _sigmoid(np.einsum("bnk,bk->bn", design, beta))
        gradient = np.einsum("bnk,bn->bk", design, used * (p - target)) + penalty * beta
        weighted = design * (used * p * (1 - p))[..., None]
        hessian = np.einsum("bnk,bnj->bkj", weighted, design) + curvature
        step = np.linalg.solve(hessian, gradient[..., None])[..., 0]
        beta -= step * active[:, None]
        active &= np.max(np.abs(step), axis=1) >= tol
        if not active.any():
            break
    return [(beta[i, :k].copy(), float(beta[i, k])) for i in range(len(xs))]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def cross_validated_scores(x: np.ndarray, y: np.ndarray, splits: list[Split]) -> np.ndarray:
    """Out-of-fold probabilities of Pipeline(StandardScaler, LogisticRegression(C=1))."""
    return fold_scores(scaled_folds(x, splits), y)
