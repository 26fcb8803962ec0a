"""Agreement between readers (Fleiss' kappa, Krippendorff's alpha, pairwise Cohen's kappa).

Ratings are the presentation-independent ``verdict`` column (see ``frame``), keyed by ``case``,
so the same ECG shown to two readers under different item tokens still counts as one unit.
Within one (reader, case, round) only the first judgment is used. Fleiss' kappa and
Krippendorff's alpha carry 95% percentile bootstrap CIs over cases: agreement is a property
of these readers, and cases are the random sample (Krippendorff's own advice for alpha).
"""

from __future__ import annotations

import itertools
import math

import krippendorff
import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa

VERDICTS = {"single": ("synthetic", "real"), "paired": ("picked_synthetic", "picked_real")}


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa from a subjects x categories count table.

    Subjects may have different numbers of ratings (each needs at least two): the per-subject
    agreement uses its own n_i and category shares are pooled over all ratings, which reduces
    to Fleiss (1971) when every subject has the same number of raters. NaN when chance
    agreement is 1 (everyone used one category).
    """
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError("counts must be a non-empty subjects x categories table")
    if (table < 0).any():
        raise ValueError("counts must be non-negative")
    raters = table.sum(axis=1)
    if (raters < 2).any():
        raise ValueError("every subject needs at least two ratings")
    observed = ((table * (table - 1)).sum(axis=1) / (raters * (raters - 1))).mean()
    shares = table.sum(axis=0) / raters.sum()
    expected = float((shares**2).sum())
    if math.isclose(expected, 1.0):
        return math.nan
    return float((observed - expected) / (1 - expected))


def cohen_kappa(table: np.ndarray) -> dict:
    """Cohen's kappa of a square agreement table (rows rater A, columns rater B), 95% Wald CI."""
    table = np.asarray(table, dtype=float)
    if table.ndim != 2 or table.shape[0] != table.shape[1]:
        raise ValueError("Cohen's kappa needs a square agreement table")
    n = int(table.sum())
    expected = float((table.sum(axis=0) * table.sum(axis=1)).sum() / n**2) if n else 1.0
    if n == 0 or math.isclose(expected, 1.0):
        reason = "no shared ratings" if n == 0 else "both raters used a single category"
        return {
            "n": n,
            "kappa": math.nan,
            "se": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "reason": reason,
        }
    # statsmodels also divides by the null-hypothesis SE, which is 0 for some tables.
    with np.errstate(invalid="ignore", divide="ignore"):
        result = cohens_kappa(table)
    return {
        "n": n,
        "kappa": float(result.kappa),
        "se": float(result.std_kappa),
        "ci_low": float(result.kappa_low),
        "ci_high": float(result.kappa_upp),
    }


def krippendorff_alpha_nominal(reliability: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) of a raters x units matrix of numeric codes, NaN = missing."""
    data = np.asarray(reliability, dtype=float)
    if data.ndim != 2:
        raise ValueError("reliability data must be a raters x units matrix")
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    values = np.unique(data[:, pairable][~np.isnan(data[:, pairable])])
    if len(values) < 2:
        return math.nan
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def rating_matrix(frame: pd.DataFrame, design: str) -> pd.DataFrame:
    """Readers x cases matrix of verdict codes (index in VERDICTS[design]); NaN = unrated."""
    rows = frame[frame["design"] == design].drop_duplicates(["reader", "case"], keep="first")
    codes = rows["verdict"].map({verdict: i for i, verdict in enumerate(VERDICTS[design])})
    matrix = pd.DataFrame({"reader": rows["reader"], "case": rows["case"], "code": codes})
    return matrix.pivot(index="reader", columns="case", values="code").sort_index(axis=0)


def inter_rater_agreement(frame: pd.DataFrame, design: str) -> dict:
    """Fleiss' kappa, Krippendorff's alpha and pairwise Cohen's kappa for one design and round.

    Units are cases rated by at least two readers. Not computable (with a reason) when there
    are fewer than two readers or no shared case.
    """
    if design not in VERDICTS:
        raise ValueError(f"design must be one of {tuple(VERDICTS)}, got {design!r}")
    matrix = rating_matrix(frame, design)
    n_readers = matrix.shape[0]
    shared = matrix.loc[:, matrix.notna().sum(axis=0) >= 2]
    base = {"n_readers": int(n_readers), "n_units": int(shared.shape[1])}
    if n_readers < 2:
        return {**base, "computable": False, "reason": "fewer than two readers"}
    if shared.shape[1] == 0:
        return {**base, "computable": False, "reason": "no case was rated by two readers"}
    codes = shared.to_numpy(dtype=float)
    counts = np.stack([(codes == k).sum(axis=0) for k in range(len(VERDICTS[design]))], axis=1)
    fleiss_ci, alpha_ci = agreement_bootstrap_ci(counts)
    return {
        **base,
        "computable": True,
        "fleiss_kappa": fleiss_kappa(counts),
        "fleiss_kappa_ci": fleiss_ci,
        "krippendorff_alpha": krippendorff_alpha_nominal(codes),
        "krippendorff_alpha_ci": alpha_ci,
        "pairwise_cohen": _pairwise_cohen(shared, len(VERDICTS[design])),
    }


BOOTSTRAP_RESAMPLES = 2000


def agreement_bootstrap_ci(
    counts: np.ndarray, level: float = 0.95, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> tuple[list[float], list[float]]:
    """Percentile bootstrap CIs over units of Fleiss' kappa and nominal Krippendorff's alpha
    from a units x categories count table (every unit rated at least twice).

    Both statistics are ratios of sums over units, so each resample is a weighting of the
    units (how often each was drawn) and all resamples are computed at once. [NaN, NaN]
    when a statistic is undefined in more than 1% of the resamples (one category nearly
    everywhere). Seeded: the same table always gives the same interval.
    """
    table = np.asarray(counts, dtype=float)
    units = len(table)
    weights = np.random.default_rng(seed).multinomial(
        units, np.full(units, 1 / units), size=resamples
    )
    kappa, alpha = weighted_agreement(table, weights)
    return _percentile_ci(kappa, level), _percentile_ci(alpha, level)


def weighted_agreement(counts: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fleiss' kappa and nominal Krippendorff's alpha of a units x categories count table
    with each unit counted ``weights`` times (resamples x units): what the two statistics
    give for the table that repeats every unit as often as its weight says."""
    table = np.asarray(counts, dtype=float)
    weights = np.asarray(weights, dtype=float)
    raters = table.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Fleiss: mean per-unit agreement against the pooled category shares.
        agreement = (table * (table - 1)).sum(axis=1) / (raters * (raters - 1))
        observed = weights @ agreement / weights.sum(axis=1)
        shares = (weights @ table) / (weights @ raters)[:, None]
        expected = (shares**2).sum(axis=1)
        kappa = (observed - expected) / (1 - expected)
        # Krippendorff (nominal): disagreeing pairable values over those expected by chance.
        pairs_apart = (raters**2 - (table**2).sum(axis=1)) / (raters - 1)
        totals = weights @ table
        n = totals.sum(axis=1)
        alpha = 1 - (n - 1) * (weights @ pairs_apart) / (n**2 - (totals**2).sum(axis=1))
    return kappa, alpha


def _percentile_ci(values: np.ndarray, level: float) -> list[float]:
    finite = values[np.isfinite(values)]
    if len(finite) < 0.99 * len(values):
        return [math.nan, math.nan]
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return [float(low), float(high)]


def pairwise_cohen_kappa(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Cohen's kappa for every pair of rows of a raters x units code matrix (NaN = unrated).

    Each pair uses the units both raters rated; NaN where they share none or chance
    agreement is 1. Computed for all pairs at once from category indicator products.
    """
    codes = np.asarray(codes, dtype=float)
    rated = (~np.isnan(codes)).astype(float)
    indicators = [(codes == k).astype(float) for k in range(n_categories)]
    shared = rated @ rated.T
    agreeing = sum(indicator @ indicator.T for indicator in indicators)
    # Category totals of rater a on the units b also rated, and vice versa.
    chance = sum((indicator @ rated.T) * (rated @ indicator.T) for indicator in indicators)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = agreeing / shared
        expected = chance / shared**2
        kappa = (observed - expected) / (1 - expected)
    kappa[np.isclose(expected, 1.0) | (shared == 0)] = np.nan
    return kappa


def _pairwise_cohen(matrix: pd.DataFrame, n_categories: int) -> dict:
    codes = matrix.to_numpy(dtype=float)
    readers = list(matrix.index)
    kappa = pairwise_cohen_kappa(codes, n_categories)
    rated = ~np.isnan(codes)
    shared = rated.astype(int) @ rated.T.astype(int)
    pairs = [
        {
            "reader_a": readers[a],
            "reader_b": readers[b],
            "n": int(shared[a, b]),
            "kappa": float(kappa[a, b]),
        }
        for a, b in itertools.combinations(range(len(readers)), 2)
        if shared[a, b] > 0
    ]
    values = np.array([pair["kappa"] for pair in pairs], dtype=float)
    finite = values[~np.isnan(values)]
    return {
        "n_pairs": len(pairs),
        "n_pairs_defined": int(len(finite)),
        "mean": float(finite.mean()) if len(finite) else math.nan,
        "median": float(np.median(finite)) if len(finite) else math.nan,
        "min": float(finite.min()) if len(finite) else math.nan,
        "max": float(finite.max()) if len(finite) else math.nan,
        "pairs": pairs,
    }
