"""Intra-rater agreement and McNemar's test between rounds."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.contingency_tables import mcnemar

from assessment.stats.agreement import cohen_kappa
from assessment.stats.frame import validate
from assessment.stats.repeatability import (
    mcnemar_exact,
    pooled_intra_rater,
    repeatability,
    repeated_pairs,
)


def test_mcnemar_matches_statsmodels_exact():
    rng = np.random.default_rng(1)
    first = rng.random(80) < 0.5
    second = np.where(rng.random(80) < 0.7, first, ~first)
    result = mcnemar_exact(first, second)
    table = [
        [result["both_correct"], result["only_round_1_correct"]],
        [result["only_round_2_correct"], result["both_wrong"]],
    ]
    assert result["p_value"] == pytest.approx(mcnemar(table, exact=True).pvalue)
    assert result["n_pairs"] == 80


def test_mcnemar_hand_example():
    # 2 pairs improved, 8 got worse: p = 2 * P(X <= 2 | 10, 0.5) = 2 * 56 / 1024.
    first = np.array([True] * 8 + [False] * 2 + [True] * 5)
    second = np.array([False] * 8 + [True] * 2 + [True] * 5)
    assert mcnemar_exact(first, second)["p_value"] == pytest.approx(112 / 1024)


def test_mcnemar_without_pairs_is_undefined():
    assert math.isnan(mcnemar_exact(np.array([], bool), np.array([], bool))["p_value"])


def _judgments(design: str, truth: str, first: list[str], second: list[str]) -> pd.DataFrame:
    rows = []
    for round_number, answers in ((1, first), (2, second)):
        for index, answer in enumerate(answers):
            rows.append(
                {
                    "reader": "r1",
                    "item": f"t{round_number}-{index}",
                    "case": f"c{index}",
                    "round": round_number,
                    "design": design,
                    "truth": truth,
                    "answer": answer,
                }
            )
    return validate(pd.DataFrame(rows))


def test_intra_rater_kappa_matches_sklearn():
    first = ["synthetic", "real", "real", "synthetic", "real", "real", "synthetic", "real"]
    second = ["synthetic", "real", "synthetic", "synthetic", "real", "synthetic", "real", "real"]
    result = repeatability(_judgments("single", "real", first, second), "single")
    pooled = result["pooled"]
    assert pooled["n_repeats"] == 8
    assert pooled["cohen_kappa"]["kappa"] == pytest.approx(cohen_kappa_score(first, second))
    assert pooled["agreement"] == pytest.approx(5 / 8)
    assert list(result["by_reader"]) == ["r1"]


def test_paired_repeats_compare_picks_not_sides():
    # The pair is shown with the synthetic ECG on the left both times; verdicts use the pick.
    result = repeatability(
        _judgments("paired", "left", ["left", "right"], ["left", "left"]), "paired"
    )
    mcnemar_result = result["pooled"]["mcnemar"]
    assert mcnemar_result["both_correct"] == 1 and mcnemar_result["only_round_2_correct"] == 1


def test_no_repeats_is_not_computable():
    frame = _judgments("single", "real", ["real"], [])
    assert repeatability(frame, "single")["computable"] is False


def _repeats(rng: np.random.Generator, readers: int, repeats: int) -> pd.DataFrame:
    """Readers who differ in their leaning (share of 'synthetic') and in how often they keep
    their round-1 verdict (otherwise they answer afresh)."""
    leaning = rng.uniform(0.3, 0.7, readers)[:, None]
    keeping = rng.uniform(0.05, 0.95, readers)[:, None]
    first = rng.random((readers, repeats)) < leaning
    fresh = rng.random((readers, repeats)) < leaning
    second = np.where(rng.random((readers, repeats)) < keeping, first, fresh)
    verdict = np.array(["real", "synthetic"])
    return pd.DataFrame({
        "reader": np.repeat([f"r{i}" for i in range(readers)], repeats),
        "case": [f"c{j}" for _ in range(readers) for j in range(repeats)],
        "verdict_1": verdict[first.ravel().astype(int)],
        "verdict_2": verdict[second.ravel().astype(int)],
        "correct_1": first.ravel(),
        "correct_2": second.ravel(),
    })  # fmt: skip


def test_pooled_kappa_ci_is_a_reader_jackknife():
    pairs = _repeats(np.random.default_rng(3), readers=6, repeats=12)
    kappa = pooled_intra_rater(pairs, "single")["cohen_kappa"]
    left_out = []
    for reader in sorted(pairs["reader"].unique()):
        rest = pairs[pairs["reader"] != reader]
        left_out.append(cohen_kappa_score(rest["verdict_1"], rest["verdict_2"]))
    se = np.std(left_out) * np.sqrt(len(left_out) - 1)  # sqrt((r-1)/r * sum of squares)
    assert kappa["kappa"] == pytest.approx(
        cohen_kappa_score(pairs["verdict_1"], pairs["verdict_2"])
    )
    assert kappa["se"] == pytest.approx(se)
    half = stats.t.ppf(0.975, 5) * se
    assert (kappa["ci_low"], kappa["ci_high"]) == pytest.approx(
        (max(-1, kappa["kappa"] - half), min(1, kappa["kappa"] + half))
    )


def test_pooled_kappa_ci_covers_with_clustered_readers():
    rng = np.random.default_rng(2026)
    population = _repeats(rng, readers=100_000, repeats=12)
    table = pd.crosstab(population["verdict_1"], population["verdict_2"]).to_numpy()
    truth = cohen_kappa(table)["kappa"]
    studies, covered, wald_covered = 250, 0, 0
    for _ in range(studies):
        pairs = _repeats(rng, readers=10, repeats=20)
        jackknife = pooled_intra_rater(pairs, "single")["cohen_kappa"]
        covered += jackknife["ci_low"] <= truth <= jackknife["ci_high"]
        wald = repeatability_wald(pairs)
        wald_covered += wald["ci_low"] <= truth <= wald["ci_high"]
    # Nominal 95% (binomial SD 1.4%; 94-97% over seeds); the Wald CI, blind to readers,
    # covered 70-83%.
    assert covered >= 0.9 * studies
    assert wald_covered < 0.88 * studies


def repeatability_wald(pairs: pd.DataFrame) -> dict:
    table = pd.crosstab(pairs["verdict_1"], pairs["verdict_2"]).to_numpy()
    return cohen_kappa(table)


def test_one_reader_keeps_the_wald_interval_and_pairs_come_from_the_frame():
    first = ["synthetic", "real", "real", "synthetic", "real", "real", "synthetic", "real"]
    second = ["synthetic", "real", "synthetic", "synthetic", "real", "synthetic", "real", "real"]
    frame = _judgments("single", "real", first, second)
    pooled = pooled_intra_rater(repeated_pairs(frame, "single"), "single")["cohen_kappa"]
    table = pd.crosstab(pd.Series(first), pd.Series(second)).to_numpy()
    assert pooled == cohen_kappa(table)
