"""The diagnostic question "Is this ECG consistent with <labels>?": real vs synthetic.

The 'yes' rates for real and synthetic ECGs are compared with Fisher's exact test (two-sided,
no large-sample assumption, fine for small studies) and the difference real - synthetic gets a
Newcombe hybrid-score interval.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from assessment.stats.detection import rate_with_ci


def label_consistency(frame: pd.DataFrame, alpha: float = 0.05) -> dict:
    """'Consistent' rates per source of the questioned ECG, their difference and Fisher's test."""
    asked = frame[
        frame["label_consistent_answer"].notna() & frame["source_for_label_question"].notna()
    ]
    rates = {}
    counts = {}
    for source in ("real", "synthetic"):
        answers = asked.loc[
            asked["source_for_label_question"] == source, "label_consistent_answer"
        ].astype(bool)
        counts[source] = (int(answers.sum()), int(len(answers)))
        rates[source] = rate_with_ci(*counts[source], alpha=alpha)
    result = {"n": int(len(asked)), "real": rates["real"], "synthetic": rates["synthetic"]}
    (yes_real, n_real), (yes_synthetic, n_synthetic) = counts["real"], counts["synthetic"]
    if n_real == 0 or n_synthetic == 0:
        return {
            **result,
            "computable": False,
            "reason": "needs answers about both real and synthetic ECGs",
        }
    table = [[yes_real, n_real - yes_real], [yes_synthetic, n_synthetic - yes_synthetic]]
    odds_ratio, p_value = stats.fisher_exact(table, alternative="two-sided")
    low, high = confint_proportions_2indep(
        yes_real,
        n_real,
        yes_synthetic,
        n_synthetic,
        method="newcomb",
        compare="diff",
        alpha=alpha,
    )
    return {
        **result,
        "computable": True,
        "difference_real_minus_synthetic": yes_real / n_real - yes_synthetic / n_synthetic,
        "difference_ci_low": float(low),
        "difference_ci_high": float(high),
        "fisher_odds_ratio": float(odds_ratio) if math.isfinite(odds_ratio) else math.nan,
        "fisher_p_value": float(p_value),
    }
