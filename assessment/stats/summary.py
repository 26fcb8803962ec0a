"""``study_summary``: every applicable statistic of a study as one JSON-serialisable dict."""

from __future__ import annotations

import pandas as pd

from assessment.stats.accuracy import DEFAULT_MARGIN, accuracy_summary, tost_sample_size
from assessment.stats.agreement import inter_rater_agreement
from assessment.stats.consistency import label_consistency
from assessment.stats.frame import DESIGNS, validate
from assessment.stats.pooled import DEFAULT_N_BOOT, mixed_model_accuracy
from assessment.stats.repeatability import repeatability
from assessment.stats.serialise import to_jsonable
from assessment.stats.stratify import DEFAULT_EXPERIENCE_BINS, stratified
from assessment.stats.subset import AnalysisOptions, analyse_subset

METHODS = {
    "accuracy_ci": "Clopper-Pearson exact interval",
    "test_vs_chance": "two-sided exact binomial test against 0.5",
    "equivalence": "TOST: two one-sided exact binomial tests against the margin, p = max",
    "sample_size": "smallest n whose exact TOST power reaches 0.8 at true accuracy 0.5",
    "single_design_dprime": "d' = z(H) - z(F), c = -(z(H)+z(F))/2, log-linear correction "
    "(Hautus 1995: +0.5 to hits and false alarms, +1 to signal and noise trials)",
    "paired_design_dprime": "d' = sqrt(2) z(pc); pc = (k+0.5)/(n+1) when pc is 0 or 1",
    "roc": "signed confidence (+c for answer synthetic/left, -c otherwise); AUC with DeLong "
    "Wald CI; rows without confidence skipped",
    "bootstrap": "two-way reader x case cluster bootstrap, percentile CI (one-way by case "
    "within a single reader)",
    "agreement": "verdicts keyed by case; Fleiss' kappa, Krippendorff's alpha (nominal), "
    "pairwise Cohen's kappa per round",
    "repeatability": "round 1 vs round 2 of the same reader and case: Cohen's kappa of verdicts,"
    " exact McNemar test of correctness",
    "label_consistency": "Fisher exact test (two-sided); Newcombe CI of the difference",
    "mixed_model": "logit with crossed random intercepts for reader and case (variational Bayes)",
}


def study_summary(
    df: pd.DataFrame,
    *,
    margin: tuple[float, float] = DEFAULT_MARGIN,
    alpha: float = 0.05,
    seed: int = 0,
    n_boot: int = DEFAULT_N_BOOT,
    experience_bins: tuple[float, ...] = DEFAULT_EXPERIENCE_BINS,
    power: float = 0.8,
    mixed_model: bool = False,
) -> dict:
    """Validate the judgment frame and compute everything applicable, per design.

    For each design present: all rounds and each round pooled over readers, per reader,
    stratified, inter-reader agreement per round, repeatability, and optionally the mixed
    model. NaN values are returned as None.
    """
    frame = validate(df)
    options = AnalysisOptions(margin=tuple(margin), alpha=alpha, seed=seed, n_boot=n_boot)
    sample_size = tost_sample_size(options.margin, power=power, alpha=alpha)
    summary = {
        "meta": {
            "n_judgments": int(len(frame)),
            "n_readers": int(frame["reader"].nunique()),
            "n_cases": int(frame["case"].nunique()),
            "designs": [design for design in DESIGNS if (frame["design"] == design).any()],
            "rounds": sorted(int(value) for value in frame["round"].unique()),
            "margin": list(options.margin),
            "alpha": alpha,
            "seed": seed,
            "n_boot": n_boot,
            "experience_bins": list(experience_bins),
        },
        "methods": METHODS,
        "sample_size": {
            "margin": list(options.margin),
            "power": power,
            "judgments_needed_exact": sample_size.exact,
            "exact_power": sample_size.exact_power,
            "judgments_needed_normal_approximation": sample_size.normal_approximation,
        },
        "overall_accuracy": accuracy_summary(
            int(frame["correct"].sum()), len(frame), options.margin, alpha
        ),
        "designs": {},
        "label_consistency": {
            "all": label_consistency(frame, alpha),
            **{
                design: label_consistency(frame[frame["design"] == design], alpha)
                for design in DESIGNS
                if (frame["design"] == design).any()
            },
        },
    }
    for design in summary["meta"]["designs"]:
        rows = frame[frame["design"] == design]
        summary["designs"][design] = _design_summary(
            rows, design, options, experience_bins, mixed_model
        )
    return to_jsonable(summary)


def _design_summary(
    rows: pd.DataFrame,
    design: str,
    options: AnalysisOptions,
    experience_bins: tuple[float, ...],
    mixed_model: bool,
) -> dict:
    by_round = {str(number): group for number, group in rows.groupby("round", sort=True)}
    result = {
        "all_rounds": analyse_subset(rows, design, options),
        "by_round": {
            key: analyse_subset(group, design, options) for key, group in by_round.items()
        },
        "by_reader": {
            str(reader): {
                "experience_years": group["reader_experience_years"].iloc[0],
                "specialty": _first_text(group["reader_specialty"]),
                "all_rounds": analyse_subset(group, design, options),
                "by_round": {
                    str(number): analyse_subset(part, design, options)
                    for number, part in group.groupby("round", sort=True)
                },
            }
            for reader, group in rows.groupby("reader", sort=True)
        },
        "agreement": {key: inter_rater_agreement(group, design) for key, group in by_round.items()},
        "repeatability": repeatability(rows, design),
        "strata": stratified(rows, design, options, experience_bins),
    }
    if mixed_model:
        result["mixed_model"] = mixed_model_accuracy(rows, options.alpha)
    return result


def _first_text(values: pd.Series) -> str | None:
    present = values.dropna()
    return str(present.iloc[0]) if len(present) else None
