"""Agreement statistics against published worked examples, statsmodels and scikit-learn."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from assessment.stats.agreement import (
    cohen_kappa,
    fleiss_kappa,
    inter_rater_agreement,
    krippendorff_alpha_nominal,
    pairwise_cohen_kappa,
)
from assessment.stats.frame import validate

# Wikipedia "Fleiss' kappa" worked example: 10 subjects, 14 raters, 5 categories, kappa = 0.210.
WIKIPEDIA_FLEISS = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

# Fleiss (1971): 30 patients, 6 psychiatrists, diagnoses coded 1..5; kappa = 0.430.
FLEISS_1971_DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)

# Krippendorff (2011) "Computing Krippendorff's alpha-reliability": 4 coders x 12 units with
# missing values (NaN); nominal alpha = 0.743.
KRIPPENDORFF_EXAMPLE = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
)


def test_fleiss_wikipedia_example():
    assert fleiss_kappa(WIKIPEDIA_FLEISS) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_1971_psychiatric_diagnoses():
    counts = np.stack([(k == FLEISS_1971_DIAGNOSES).sum(axis=1) for k in range(1, 6)], axis=1)
    assert fleiss_kappa(counts) == pytest.approx(0.430, abs=5e-4)


def test_fleiss_matches_statsmodels_on_random_balanced_tables():
    rng = np.random.default_rng(2)
    for _ in range(10):
        counts = rng.multinomial(7, rng.dirichlet(np.ones(3)), size=25)
        assert fleiss_kappa(counts) == pytest.approx(statsmodels_fleiss(counts), abs=1e-12)


def test_fleiss_undefined_when_one_category_used_and_rejects_single_ratings():
    assert math.isnan(fleiss_kappa(np.array([[3, 0], [4, 0]])))
    with pytest.raises(ValueError, match="two ratings"):
        fleiss_kappa(np.array([[1, 0], [2, 1]]))


def test_cohen_wikipedia_example():
    # 50 proposals: both yes 20, A yes B no 5, A no B yes 10, both no 15 -> kappa = 0.40.
    result = cohen_kappa(np.array([[20, 5], [10, 15]]))
    assert result["kappa"] == pytest.approx(0.40)
    assert result["ci_low"] < 0.40 < result["ci_high"]


def test_cohen_degenerate_table_is_not_computable():
    result = cohen_kappa(np.array([[9, 0], [0, 0]]))
    assert math.isnan(result["kappa"])
    assert "single category" in result["reason"]


def test_krippendorff_published_example():
    assert krippendorff_alpha_nominal(KRIPPENDORFF_EXAMPLE) == pytest.approx(0.743, abs=5e-4)


def test_pairwise_cohen_matches_sklearn_with_missing_ratings():
    rng = np.random.default_rng(8)
    codes = rng.integers(0, 2, size=(5, 60)).astype(float)
    codes[rng.random(codes.shape) < 0.2] = np.nan
    kappa = pairwise_cohen_kappa(codes, 2)
    for a in range(5):
        for b in range(a + 1, 5):
            both = ~np.isnan(codes[a]) & ~np.isnan(codes[b])
            expected = cohen_kappa_score(codes[a, both], codes[b, both])
            assert kappa[a, b] == pytest.approx(expected)


def _frame(verdicts: dict[str, list[str]]) -> pd.DataFrame:
    rows = []
    for reader, answers in verdicts.items():
        for index, answer in enumerate(answers):
            rows.append(
                {
                    "reader": reader,
                    "item": f"{reader}-{index}",
                    "case": f"c{index}",
                    "round": 1,
                    "design": "single",
                    "truth": "real",
                    "answer": answer,
                }
            )
    return validate(pd.DataFrame(rows))


def test_inter_rater_agreement_from_the_judgment_frame():
    s, r = "synthetic", "real"
    frame = _frame({"a": [s, s, r, r, s, r], "b": [s, r, r, r, s, r], "c": [s, s, r, s, s, r]})
    result = inter_rater_agreement(frame, "single")
    codes = np.array([[0, 0, 1, 1, 0, 1], [0, 1, 1, 1, 0, 1], [0, 0, 1, 0, 0, 1]])
    counts = np.stack([(codes == k).sum(axis=0) for k in range(2)], axis=1)
    assert result["computable"] and result["n_units"] == 6
    assert result["fleiss_kappa"] == pytest.approx(statsmodels_fleiss(counts))
    assert result["pairwise_cohen"]["n_pairs"] == 3
    expected_ab = cohen_kappa_score(codes[0], codes[1])
    assert result["pairwise_cohen"]["pairs"][0]["kappa"] == pytest.approx(expected_ab)


def test_agreement_with_one_reader_is_not_computable():
    result = inter_rater_agreement(_frame({"a": ["real", "synthetic"]}), "single")
    assert not result["computable"]
    assert result["reason"] == "fewer than two readers"


def test_agreement_without_shared_cases_is_not_computable():
    frame = _frame({"a": ["real"], "b": ["real", "synthetic"]})
    frame = frame[~((frame["reader"] == "b") & (frame["case"] == "c0"))]
    result = inter_rater_agreement(frame, "single")
    assert not result["computable"] and "no case" in result["reason"]
