"""Accuracy of one reader's binary judgments: exact CI, test against chance, exact TOST."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

DEFAULT_MARGIN = (0.4, 0.6)
CHANCE = 0.5


def clopper_pearson(successes: int, trials: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper–Pearson) two-sided 1 - alpha interval; (nan, nan) when there are no trials."""
    _check_counts(successes, trials)
    if trials == 0:
        return math.nan, math.nan
    lower = 0.0 if successes == 0 else stats.beta.ppf(alpha / 2, successes, trials - successes + 1)
    upper = (
        1.0
        if successes == trials
        else stats.beta.ppf(1 - alpha / 2, successes + 1, trials - successes)
    )
    return float(lower), float(upper)


def binomial_test(successes: int, trials: int, p0: float = CHANCE) -> float:
    """Two-sided exact binomial p-value (sum of outcomes no more likely than the observed one)."""
    _check_counts(successes, trials)
    if not 0 < p0 < 1:
        raise ValueError(f"p0 must lie strictly between 0 and 1, got {p0}")
    if trials == 0:
        return math.nan
    outcomes = np.arange(trials + 1)
    probabilities = stats.binom.pmf(outcomes, trials, p0)
    observed = probabilities[successes]
    # Relative tolerance so outcomes equal in exact arithmetic are not lost to rounding.
    as_extreme = probabilities <= observed * (1 + 1e-7)
    return float(min(1.0, probabilities[as_extreme].sum()))


@dataclass(frozen=True)
class EquivalenceTest:
    """Two one-sided exact binomial tests (TOST) that accuracy lies inside ``margin``."""

    margin: tuple[float, float]
    p_lower: float  # H0: accuracy <= margin[0]
    p_upper: float  # H0: accuracy >= margin[1]
    p_value: float  # max of the two
    equivalent: bool


def tost_equivalence(
    successes: int,
    trials: int,
    margin: tuple[float, float] = DEFAULT_MARGIN,
    alpha: float = 0.05,
) -> EquivalenceTest:
    """Exact TOST: equivalence to chance is shown when both one-sided p-values are <= alpha."""
    _check_counts(successes, trials)
    low, high = _check_margin(margin)
    if trials == 0:
        return EquivalenceTest((low, high), math.nan, math.nan, math.nan, False)
    p_lower = float(stats.binom.sf(successes - 1, trials, low))
    p_upper = float(stats.binom.cdf(successes, trials, high))
    p_value = max(p_lower, p_upper)
    return EquivalenceTest((low, high), p_lower, p_upper, p_value, p_value <= alpha)


def accuracy_summary(
    successes: int,
    trials: int,
    margin: tuple[float, float] = DEFAULT_MARGIN,
    alpha: float = 0.05,
) -> dict:
    """Accuracy, Clopper–Pearson CI, exact test against 0.5 and TOST, as a plain dict."""
    low, high = clopper_pearson(successes, trials, alpha)
    tost_low, tost_high = clopper_pearson(successes, trials, 2 * alpha)
    equivalence = tost_equivalence(successes, trials, margin, alpha)
    return {
        "n": int(trials),
        "correct": int(successes),
        "accuracy": successes / trials if trials else math.nan,
        "ci_low": low,
        "ci_high": high,
        "p_vs_chance": binomial_test(successes, trials),
        "tost": {
            "margin": list(equivalence.margin),
            "p_lower": equivalence.p_lower,
            "p_upper": equivalence.p_upper,
            "p_value": equivalence.p_value,
            "equivalent": equivalence.equivalent,
            "ci90_low": tost_low,
            "ci90_high": tost_high,
        },
    }


def _check_counts(successes: int, trials: int) -> None:
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")


def _check_margin(margin: tuple[float, float]) -> tuple[float, float]:
    try:
        low, high = (float(bound) for bound in margin)
    except (TypeError, ValueError):
        raise ValueError(f"margin must be a pair of numbers, got {margin!r}") from None
    if not 0 < low < high < 1:
        raise ValueError(f"margin must satisfy 0 < low < high < 1, got {margin!r}")
    return low, high
