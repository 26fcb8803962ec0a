"""A model-based cross-check of the primary analysis.

``mixed_model_accuracy`` fits a logistic model with crossed random intercepts for reader and
case by variational Bayes (statsmodels ``BinomialBayesMixedGLM``); it is slow (tens of seconds
for 20 000 judgments) and therefore optional.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit


def mixed_model_accuracy(frame: pd.DataFrame, alpha: float = 0.05) -> dict:
    """Accuracy for a typical reader on a typical case from a crossed random-intercept logit.

    Returns expit(intercept) with an interval from the intercept's posterior mean +/- z * sd
    (variational Bayes; its sd tends to be optimistic) and the random-effect standard
    deviations on the logit scale. Not computable with fewer than two readers or cases.
    """
    from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

    n_readers, n_cases = frame["reader"].nunique(), frame["case"].nunique()
    if n_readers < 2 or n_cases < 2:
        return {"computable": False, "reason": "needs at least two readers and two cases"}
    data = pd.DataFrame(
        {
            "correct": frame["correct"].astype(float).to_numpy(),
            "reader": frame["reader"].astype(str).to_numpy(),
            "case": frame["case"].astype(str).to_numpy(),
        }
    )
    model = BinomialBayesMixedGLM.from_formula(
        "correct ~ 1", {"reader": "0 + C(reader)", "case": "0 + C(case)"}, data
    )
    fit = model.fit_vb()
    mean, sd = float(fit.fe_mean[0]), float(fit.fe_sd[0])
    z = stats.norm.ppf(1 - alpha / 2)
    random_sd = dict(zip(model.vcp_names, np.exp(fit.vcp_mean).tolist(), strict=True))
    return {
        "computable": True,
        "accuracy": float(expit(mean)),
        "ci_low": float(expit(mean - z * sd)),
        "ci_high": float(expit(mean + z * sd)),
        "intercept_logit": mean,
        "intercept_sd": sd,
        "reader_sd_logit": random_sd["reader"],
        "case_sd_logit": random_sd["case"],
    }
