"""Label-consistency comparison against scipy's Fisher test and a hand-computed Newcombe CI."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assessment.stats.consistency import label_consistency
from assessment.stats.frame import validate


def _frame(real_yes: int, real_n: int, synthetic_yes: int, synthetic_n: int) -> pd.DataFrame:
    answers = (
        [True] * real_yes
        + [False] * (real_n - real_yes)
        + [True] * synthetic_yes
        + [False] * (synthetic_n - synthetic_yes)
    )
    sources = ["real"] * real_n + ["synthetic"] * synthetic_n
    n = len(answers)
    return validate(
        pd.DataFrame(
            {
                "reader": ["r"] * n,
                "item": [f"i{k}" for k in range(n)],
                "case": [f"c{k}" for k in range(n)],
                "round": [1] * n,
                "design": ["single"] * n,
                "truth": sources,
                "answer": sources,
                "label_consistent_answer": answers,
                "source_for_label_question": sources,
            }
        )
    )


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_fisher_and_newcombe_interval():
    result = label_consistency(_frame(40, 50, 28, 50))
    assert result["computable"]
    _, expected_p = stats.fisher_exact([[40, 10], [28, 22]])
    assert result["fisher_p_value"] == pytest.approx(expected_p)
    assert result["difference_real_minus_synthetic"] == pytest.approx(0.24)
    (l1, u1), (l2, u2) = _wilson(40, 50), _wilson(28, 50)
    p1, p2 = 0.8, 0.56
    assert result["difference_ci_low"] == pytest.approx(0.24 - math.hypot(p1 - l1, u2 - p2))
    assert result["difference_ci_high"] == pytest.approx(0.24 + math.hypot(u1 - p1, p2 - l2))
    assert result["real"]["rate"] == 0.8 and result["synthetic"]["n"] == 50


def test_missing_answers_are_ignored_and_one_source_is_not_computable():
    frame = _frame(3, 5, 0, 0)
    frame.loc[0, "label_consistent_answer"] = np.nan
    result = label_consistency(frame)
    assert result["n"] == 4 and not result["computable"]
    assert result["real"]["count"] == 2
    assert math.isnan(result["synthetic"]["rate"])
