"""One channel's verdict: cross-validated AUC and accuracy, DeLong and permutation tests."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import sklearn
from scipy import stats
from threadpoolctl import threadpool_limits

from assessment.audit.crossval import (
    N_FOLDS,
    N_REPEATS,
    case_splits,
    fold_scores,
    scaled_folds,
    usable_features,
)
from assessment.audit.features import CHANNELS
from assessment.audit.permutation import permutation_test
from assessment.audit.result import ChannelResult
from assessment.stats.roc import delong_auc

MIN_PER_CLASS = 4


def channel_result(
    channel: str,
    table: Mapping[str, Sequence[float]],
    is_synthetic: Sequence[bool],
    cases: Sequence[str],
    *,
    features: Sequence[str] | None = None,
    alpha: float = 0.05,
    family_size: int = 1,
    gates: bool = True,
) -> ChannelResult:
    """Classify real vs synthetic from ``features`` (default: the channel's) of ``table``.

    ``table`` maps feature names to one value per panel. Columns with NaN or a single
    value are dropped; with none left the channel is ``constant`` (AUC 0.5, not fitted),
    with fewer than 4 panels in a class it is ``too_few``. The channel leaks when the
    DeLong AUC lower bound at level 1 - alpha/family_size lies above 0.5 and the
    permutation test confirms it at p <= alpha/family_size.
    """
    names = tuple(CHANNELS[channel] if features is None else features)
    y = np.asarray(is_synthetic, dtype=bool)
    if len(cases) != len(y):
        raise ValueError(f"{len(y)} labels but {len(cases)} cases")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if isinstance(family_size, bool) or not isinstance(family_size, int) or family_size < 1:
        raise ValueError(f"family_size must be a positive int, got {family_size!r}")
    threshold = alpha / family_size
    n_synthetic = int(y.sum())
    common = {
        "channel": channel, "n_real": len(y) - n_synthetic, "n_synthetic": n_synthetic,
        "simultaneous_level": 1 - threshold,
    }  # fmt: skip
    if min(len(y) - n_synthetic, n_synthetic) < MIN_PER_CLASS:
        nan_pair = (math.nan, math.nan)
        return ChannelResult(
            **common, features=(), method=f"not classified: fewer than {MIN_PER_CLASS} "
            "panels in a class", accuracy=math.nan, accuracy_ci=nan_pair, auc=math.nan,
            auc_ci=nan_pair, auc_simultaneous_low=math.nan, too_few=True,
        )  # fmt: skip
    used = usable_features(table, names)
    if not used:
        return ChannelResult(
            **common, features=(), method="not classified: no feature varies", accuracy=0.5,
            accuracy_ci=(0.5, 0.5), auc=0.5, auc_ci=(0.5, 0.5), auc_simultaneous_low=0.5,
            constant=True, gates=gates,
        )  # fmt: skip
    x = np.column_stack([np.asarray(table[name], dtype=np.float64) for name in used])
    # Thousands of tiny fits: BLAS threads and sklearn's input checks (the columns are
    # known finite) cost more than the fits themselves.
    fast = sklearn.config_context(assume_finite=True, skip_parameter_validation=True)
    with threadpool_limits(limits=1), fast:
        splits, method = case_splits(y, cases)
        folds = scaled_folds(x, splits)
        scores = fold_scores(folds, y)
        auc = delong_auc(scores, y, alpha)
        simultaneous_low = float(delong_auc(scores, y, threshold)["ci_low"])
        permutation = None
        if gates and simultaneous_low > 0.5:  # DeLong screens; then the costly test runs
            # on one repeat of the folds (the statistic it permutes and the observed one
            # alike), which keeps a confirmed leak to a second or two.
            repeated = len(folds) == N_FOLDS * N_REPEATS  # else leave-one-case-out
            first = folds[:N_FOLDS] if repeated else folds
            observed = delong_auc(fold_scores(first, y), y)["auc"]
            permutation = permutation_test(
                x, y, cases, observed, threshold, first, max_splits=len(first)
            )
    correct = int(np.sum((scores > 0.5) == y))
    accuracy_ci = stats.binomtest(correct, len(y)).proportion_ci(1 - alpha, method="exact")
    return ChannelResult(
        **common,
        features=used,
        method=method,
        accuracy=correct / len(y),
        accuracy_ci=(float(accuracy_ci.low), float(accuracy_ci.high)),
        auc=float(auc["auc"]),
        auc_ci=(float(auc["ci_low"]), float(auc["ci_high"])),
        auc_simultaneous_low=simultaneous_low,
        permutation_p=permutation.p if permutation else math.nan,
        permutations=permutation.permutations if permutation else 0,
        leaks=bool(permutation and permutation.p <= threshold + 1e-12),
        gates=gates,
    )
