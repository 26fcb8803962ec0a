"""Pooled estimates with readers and cases as sources of variance.

``two_way_bootstrap`` is a two-way (pigeonhole) cluster bootstrap (Owen 2007): each replicate
draws readers and cases independently with replacement and weights every judgment by
(times its reader was drawn) x (times its case was drawn). A rate is then a ratio of weighted
sums, computed for all replicates at once from reader x case cell totals. The percentile
interval is mildly conservative for crossed designs. With one reader it reduces to an ordinary
case bootstrap.

``mixed_model_accuracy`` fits a logistic model with crossed random intercepts for reader and
case by variational Bayes (statsmodels ``BinomialBayesMixedGLM``); it is slow (tens of seconds
for 20 000 judgments) and therefore optional.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

DEFAULT_N_BOOT = 2000
_CHUNK = 500  # replicates per block, keeps the (replicates x cases) weight block small


def two_way_bootstrap(
    readers: np.ndarray,
    cases: np.ndarray,
    rates: dict[str, tuple[np.ndarray, np.ndarray]],
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, dict]:
    """Percentile CIs for rates sum(success & include) / sum(include) under two-way resampling.

    ``rates`` maps a name to (success, include) boolean arrays aligned with ``readers`` and
    ``cases``. All rates share the same replicates. Replicates in which a rate has no
    included judgment are dropped for that rate (``n_boot_valid`` counts the rest).
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    reader_codes, reader_levels = pd.factorize(np.asarray(readers), sort=True)
    case_codes, case_levels = pd.factorize(np.asarray(cases), sort=True)
    n_readers, n_cases = len(reader_levels), len(case_levels)
    cells = reader_codes * n_cases + case_codes
    totals = {}
    for name, (success, include) in rates.items():
        success = np.asarray(success, dtype=bool)
        include = np.asarray(include, dtype=bool)
        if success.shape != cells.shape or include.shape != cells.shape:
            raise ValueError(f"rate '{name}': arrays must match the number of judgments")
        hit = np.bincount(cells[success & include], minlength=n_readers * n_cases)
        seen = np.bincount(cells[include], minlength=n_readers * n_cases)
        totals[name] = (hit.reshape(n_readers, n_cases), seen.reshape(n_readers, n_cases))
    replicates = {name: np.empty(n_boot) for name in rates}
    if n_readers and n_cases:
        rng = np.random.default_rng(seed)
        for start in range(0, n_boot, _CHUNK):
            size = min(_CHUNK, n_boot - start)
            reader_weights = rng.multinomial(n_readers, np.full(n_readers, 1 / n_readers), size)
            case_weights = rng.multinomial(n_cases, np.full(n_cases, 1 / n_cases), size)
            for name, (hit, seen) in totals.items():
                numerator = ((reader_weights @ hit) * case_weights).sum(axis=1)
                denominator = ((reader_weights @ seen) * case_weights).sum(axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    replicates[name][start : start + size] = numerator / denominator
    out = {}
    for name, (hit, seen) in totals.items():
        draws = replicates[name] if n_readers and n_cases else np.array([])
        draws = draws[np.isfinite(draws)]
        estimate = hit.sum() / seen.sum() if seen.sum() else math.nan
        low, high = (
            np.quantile(draws, [alpha / 2, 1 - alpha / 2]) if len(draws) else (math.nan, math.nan)
        )
        out[name] = {
            "estimate": float(estimate),
            "ci_low": float(low),
            "ci_high": float(high),
            "n_boot": int(n_boot),
            "n_boot_valid": int(len(draws)),
            "n_readers": int(n_readers),
            "n_cases": int(n_cases),
        }
    return out


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
