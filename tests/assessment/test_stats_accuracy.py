"""Accuracy statistics against scipy/statsmodels references and exact hand calculations."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from assessment.stats.accuracy import (
    accuracy_summary,
    binomial_test,
    clopper_pearson,
    tost_equivalence,
)


def test_clopper_pearson_matches_statsmodels_beta_on_random_counts():
    rng = np.random.default_rng(7)
    for _ in range(50):
        trials = int(rng.integers(1, 400))
        successes = int(rng.integers(0, trials + 1))
        expected = proportion_confint(successes, trials, alpha=0.05, method="beta")
        assert clopper_pearson(successes, trials) == pytest.approx(expected, abs=1e-10)


def test_clopper_pearson_at_the_boundaries():
    # All correct: upper bound 1, lower bound (alpha/2)^(1/n) = 0.025^(1/20).
    low, high = clopper_pearson(20, 20)
    assert high == 1.0
    assert low == pytest.approx(0.025 ** (1 / 20))
    low, high = clopper_pearson(0, 20)
    assert low == 0.0
    assert high == pytest.approx(1 - 0.025 ** (1 / 20))


def test_clopper_pearson_without_trials_is_undefined():
    low, high = clopper_pearson(0, 0)
    assert math.isnan(low) and math.isnan(high)


@pytest.mark.parametrize("successes, trials", [(-1, 5), (6, 5), (0, -1)])
def test_bad_counts_raise(successes, trials):
    with pytest.raises(ValueError, match="successes"):
        clopper_pearson(successes, trials)


def test_binomial_test_matches_scipy_binomtest():
    rng = np.random.default_rng(11)
    for _ in range(60):
        trials = int(rng.integers(1, 300))
        successes = int(rng.integers(0, trials + 1))
        p0 = float(rng.choice([0.5, 0.3, 0.62]))
        expected = stats.binomtest(successes, trials, p0).pvalue
        assert binomial_test(successes, trials, p0) == pytest.approx(expected, rel=1e-9)


def test_binomial_test_small_hand_example():
    # 9 of 10 against 0.5: P(X >= 9) + P(X <= 1) = 2 * 11 / 1024.
    assert binomial_test(9, 10) == pytest.approx(22 / 1024)


def test_tost_p_values_are_the_two_one_sided_exact_tests():
    result = tost_equivalence(104, 200, margin=(0.4, 0.6))
    greater = stats.binomtest(104, 200, 0.4, alternative="greater").pvalue
    less = stats.binomtest(104, 200, 0.6, alternative="less").pvalue
    assert result.p_lower == pytest.approx(greater, rel=1e-9)
    assert result.p_upper == pytest.approx(less, rel=1e-9)
    assert result.p_value == pytest.approx(max(greater, less))
    assert result.equivalent


def test_tost_is_not_equivalent_with_few_judgments_or_high_accuracy():
    assert not tost_equivalence(10, 20).equivalent
    assert not tost_equivalence(150, 200).equivalent
    empty = tost_equivalence(0, 0)
    assert math.isnan(empty.p_value) and not empty.equivalent


@pytest.mark.parametrize("margin", [(0.6, 0.4), (0.0, 0.6), (0.4,), "ab"])
def test_bad_margin_raises(margin):
    with pytest.raises(ValueError, match="margin"):
        tost_equivalence(10, 20, margin=margin)


def test_accuracy_summary_fields():
    summary = accuracy_summary(60, 100)
    assert summary["accuracy"] == 0.6
    assert summary["ci_low"] < 0.6 < summary["ci_high"]
    assert summary["p_vs_chance"] == pytest.approx(stats.binomtest(60, 100).pvalue)
    assert summary["tost"]["ci90_low"] > summary["ci_low"]
    empty = accuracy_summary(0, 0)
    assert empty["n"] == 0 and math.isnan(empty["accuracy"]) and math.isnan(empty["ci_low"])
