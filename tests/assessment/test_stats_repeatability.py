"""Intra-rater agreement and McNemar's test between rounds."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.contingency_tables import mcnemar

from assessment.stats.frame import validate
from assessment.stats.repeatability import mcnemar_exact, repeatability


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
