"""Agreement statistics against published worked examples, statsmodels and scikit-learn."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from assessment.stats.agreement import (
    agreement_bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    inter_rater_agreement,
    krippendorff_alpha_nominal,
    pairwise_cohen_kappa,
    weighted_agreement,
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


def _codes_with_gaps(rng: np.random.Generator, readers: int, cases: int) -> np.ndarray:
    """Readers x cases 0/1 codes with 20% unrated, keeping cases rated at least twice."""
    codes = rng.integers(0, 2, size=(readers, cases)).astype(float)
    codes[rng.random(codes.shape) < 0.2] = np.nan
    return codes[:, (~np.isnan(codes)).sum(axis=0) >= 2]


def _counts(codes: np.ndarray) -> np.ndarray:
    return np.stack([(codes == k).sum(axis=0) for k in range(2)], axis=1)


def test_weighted_agreement_is_the_statistics_of_the_repeated_table():
    rng = np.random.default_rng(4)
    codes = _codes_with_gaps(rng, 6, 30)
    counts = _counts(codes)
    weights = np.stack([np.ones(len(counts)), rng.integers(0, 4, len(counts))])
    kappa, alpha = weighted_agreement(counts, weights)
    assert kappa[0] == pytest.approx(fleiss_kappa(counts))
    assert alpha[0] == pytest.approx(krippendorff_alpha_nominal(codes))
    repeated = np.repeat(np.arange(len(counts)), weights[1].astype(int))
    assert kappa[1] == pytest.approx(fleiss_kappa(counts[repeated]))
    assert alpha[1] == pytest.approx(krippendorff_alpha_nominal(codes[:, repeated]))


def _fixed_readers_study(rng: np.random.Generator, cases: int) -> np.ndarray:
    """Five fixed readers (their own leanings) rating cases that look more or less
    synthetic; 0/1 codes, readers x cases."""
    leaning = np.array([-0.8, -0.3, 0.0, 0.4, 0.9])
    looks = rng.normal(0.0, 1.2, cases)
    chance = 1 / (1 + np.exp(-(leaning[:, None] + looks[None, :])))
    return (rng.random((5, cases)) < chance).astype(float)


def test_agreement_cis_cover_these_readers_agreement():
    rng = np.random.default_rng(2026)
    population = _counts(_fixed_readers_study(rng, 400_000))
    (true_kappa,), (true_alpha,) = weighted_agreement(population, np.ones((1, len(population))))
    studies, kappa_covered, alpha_covered = 300, 0, 0
    for _ in range(studies):
        (kappa_low, kappa_high), (alpha_low, alpha_high) = agreement_bootstrap_ci(
            _counts(_fixed_readers_study(rng, 60)), resamples=1000
        )
        kappa_covered += kappa_low <= true_kappa <= kappa_high
        alpha_covered += alpha_low <= true_alpha <= alpha_high
    # Nominal 95% (binomial SD 1.3%).
    assert kappa_covered >= 0.9 * studies and alpha_covered >= 0.9 * studies


def test_agreement_ci_is_seeded_and_undefined_for_one_category():
    counts = _counts(_codes_with_gaps(np.random.default_rng(5), 4, 40))
    assert agreement_bootstrap_ci(counts) == agreement_bootstrap_ci(counts)
    one_category = np.column_stack([np.full(10, 3), np.zeros(10)])
    assert all(math.isnan(x) for ci in agreement_bootstrap_ci(one_category) for x in ci)


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
    fleiss_ci, alpha_ci = agreement_bootstrap_ci(counts)
    assert result["fleiss_kappa_ci"] == fleiss_ci and result["krippendorff_alpha_ci"] == alpha_ci
    assert fleiss_ci[0] <= result["fleiss_kappa"] <= fleiss_ci[1]
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
