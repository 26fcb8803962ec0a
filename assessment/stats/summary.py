"""``study_summary``: every applicable statistic of a study as one JSON-serialisable dict.

Per design (never pooled across designs, which ask different questions): the primary
OR-Hillis analysis of round 1 with its plain-words headline and a sample-size plan in readers
x cases, descriptive statistics of round 1 overall, per round, per reader and per stratum,
agreement, repeatability (round 2 against round 1), per-case difficulty and fast readers.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from assessment.stats.accuracy import DEFAULT_MARGIN
from assessment.stats.agreement import inter_rater_agreement
from assessment.stats.frame import DESIGNS, validate
from assessment.stats.headline import headline
from assessment.stats.mrmc import GENERALISATION_TEXT, RRRC
from assessment.stats.per_case import case_table, fast_readers
from assessment.stats.pooled import mixed_model_accuracy
from assessment.stats.power import Pilot, sample_size_table
from assessment.stats.primary import (
    MEASURES,
    Analysis,
    DesignAnalysis,
    design_analysis,
    primary_rows,
)
from assessment.stats.repeatability import repeatability
from assessment.stats.serialise import to_jsonable
from assessment.stats.stratify import DEFAULT_EXPERIENCE_BINS, stratified
from assessment.stats.subset import AnalysisOptions, analyse_subset
from assessment.stats.unaware import unaware_summary

METHODS = {
    "primary": "Obuchowski-Rockette analysis with Hillis denominator degrees of freedom "
    "(OR-Hillis) of round-1 judgments: figure of merit per reader (paired: 2AFC accuracy; "
    "single: balanced accuracy, the mean of sensitivity and specificity), error covariances "
    "by case jackknife; readers and cases random (also reported: readers fixed, and cases "
    "fixed)",
    "equivalence": "TOST: two one-sided OR-Hillis t tests against the margin; within the "
    "margin when the 90% CI lies inside it",
    "auc": "empirical (Wilcoxon) AUC per reader of the signed confidence rating, OR-Hillis "
    "across readers",
    "generators": "each generator a modality (paired: accuracy on its pairs; single: balanced "
    "accuracy, its synthetic ECGs with the shared real ones); OR-Hillis F test of equality",
    "label_consistency": "share of 'consistent with the labels' answers about real vs "
    "synthetic ECGs as two modalities of one OR-Hillis analysis (readers and cases random)",
    "sample_size": "Hillis & Obuchowski (2011): the pilot's variance components rescaled to "
    "c cases, power from the noncentral t distribution",
    "descriptive": "per reader and per stratum: share right with Clopper-Pearson interval "
    "(judgments taken as independent) and the OR-Hillis reader-averaged accuracy (balanced "
    "accuracy in the single design)",
    "detection": "single design: d' = z(H) - z(F), c = -(z(H)+z(F))/2 with the log-linear "
    "correction (Hautus 1995); paired: d' = sqrt(2) z(pc)",
    "agreement": "verdicts keyed by case; Fleiss' kappa, Krippendorff's alpha (nominal), "
    "each with a 95% percentile bootstrap CI over cases, and pairwise Cohen's kappa per round",
    "repeatability": "round 1 vs round 2 of the same reader and case: Cohen's kappa of verdicts "
    "(pooled over readers: 95% CI by leave-one-reader-out jackknife, t on readers - 1 df), "
    "exact McNemar test of correctness",
    "unaware": "unaware phase: mean quality rating and label fit, real vs synthetic, OR-Hillis",
    "mixed_model": "logit with crossed random intercepts for reader and case (variational Bayes)",
}


def study_summary(
    df: pd.DataFrame,
    *,
    margin: tuple[float, float] = DEFAULT_MARGIN,
    alpha: float = 0.05,
    experience_bins: tuple[float, ...] = DEFAULT_EXPERIENCE_BINS,
    power: float = 0.8,
    mixed_model: bool = False,
    unaware: pd.DataFrame | None = None,
) -> dict:
    """Validate the judgment frame and compute everything applicable, per design.

    ``unaware`` holds the unaware-phase ratings (``selectors.unaware_frame``), if any. NaN
    values are returned as None.
    """
    frame = validate(df)
    options = AnalysisOptions(margin=tuple(margin), alpha=alpha)
    designs = [design for design in DESIGNS if (frame["design"] == design).any()]
    summary = {
        "meta": {
            "n_judgments": int(len(frame)),
            "n_readers": int(frame["reader"].nunique()),
            "n_cases": int(frame["case"].nunique()),
            "designs": designs,
            "rounds": sorted(int(value) for value in frame["round"].unique()),
            "margin": list(options.margin),
            "alpha": alpha,
            "power": power,
            "experience_bins": list(experience_bins),
            "generalisations": GENERALISATION_TEXT,
        },
        "designs": {
            design: _design_summary(frame, design, options, experience_bins, power, mixed_model)
            for design in designs
        },
        "unaware": {
            name: _analysis_dict(result)
            for name, result in unaware_summary(
                unaware if unaware is not None else pd.DataFrame(), alpha
            ).items()
        },
    }
    methods = _methods_that_ran(summary, mixed_model)
    return to_jsonable({"meta": summary.pop("meta"), "methods": methods, **summary})


def random_readers(analysis: dict) -> dict:
    """The random-readers random-cases generalisation of a computable analysis entry."""
    return analysis["generalisations"][RRRC]


def _design_summary(
    frame: pd.DataFrame,
    design: str,
    options: AnalysisOptions,
    experience_bins: tuple[float, ...],
    power: float,
    mixed_model: bool,
) -> dict:
    rows = frame[frame["design"] == design]
    first = primary_rows(rows)
    primary = design_analysis(frame, design, options.margin, options.alpha)
    result = {
        "measure": MEASURES[design],
        "headline": headline(primary, options.margin, options.alpha),
        "primary": _primary_dict(primary),
        "sample_size": _sample_size(primary, options, power),
        "round_1": analyse_subset(first, design, options),
        "by_round": {
            str(number): analyse_subset(group, design, options)
            for number, group in rows.groupby("round", sort=True)
        },
        "by_reader": {
            str(reader): {
                "experience_years": group["reader_experience_years"].iloc[0],
                "specialty": _first_text(group["reader_specialty"]),
                "round_1": analyse_subset(group, design, options),
            }
            for reader, group in first.groupby("reader", sort=True)
        },
        "agreement": {
            str(number): inter_rater_agreement(group, design)
            for number, group in rows.groupby("round", sort=True)
        },
        "repeatability": repeatability(rows, design),
        "strata": stratified(first, design, options, experience_bins),
        "cases": case_table(first),
        "fast_readers": fast_readers(first),
    }
    if mixed_model:
        result["mixed_model"] = mixed_model_accuracy(first, options.alpha)
    return result


def _primary_dict(primary: DesignAnalysis) -> dict:
    names = ("accuracy", "auc", "sensitivity", "specificity", "by_generator", "label_consistency")
    return {
        name: _analysis_dict(getattr(primary, name))
        for name in names
        if getattr(primary, name) is not None
    }


def _analysis_dict(result: Analysis) -> dict:
    entry = {
        "computable": result.computable,
        "reason": result.reason,
        "excluded_readers": list(result.excluded_readers),
    }
    if result.computable:
        entry.update(asdict(result.analysis))
        if len(result.analysis.modality_names) == 1:
            entry["reported"] = result.analysis.reported()[0]  # the one the headline quotes
    return entry


def _sample_size(primary: DesignAnalysis, options: AnalysisOptions, power: float) -> dict:
    accuracy = primary.accuracy
    if not accuracy.computable or accuracy.analysis.n_readers < 2:
        return {"computable": False, "reason": "needs a pilot with at least two readers"}
    analysis = accuracy.analysis
    pilot = Pilot.from_components(analysis.per_modality_components[0], analysis.n_cases)
    rows = sample_size_table(pilot, options.margin, power=power, alpha=options.alpha)
    return {
        "computable": True,
        "power": power,
        "margin": list(options.margin),
        "pilot": asdict(pilot),
        "pilot_readers": analysis.n_readers,
        "plans": [asdict(row) for row in rows],
    }


def _methods_that_ran(summary: dict, mixed_model: bool) -> dict:
    sections = summary["designs"].values()
    ran = set()
    if sections:
        ran |= {"primary", "equivalence", "descriptive", "detection", "agreement"}
    for section in sections:
        primary = section["primary"]
        ran |= {"auc"} if primary.get("auc", {}).get("computable") else set()
        ran |= {"generators"} if primary["by_generator"]["computable"] else set()
        ran |= {"label_consistency"} if primary["label_consistency"]["computable"] else set()
        ran |= {"sample_size"} if section["sample_size"]["computable"] else set()
        ran |= {"repeatability"} if section["repeatability"]["computable"] else set()
    ran |= {"unaware"} if summary["unaware"] else set()
    ran |= {"mixed_model"} if mixed_model and sections else set()
    return {key: text for key, text in METHODS.items() if key in ran}


def _first_text(values: pd.Series) -> str | None:
    present = values.dropna()
    return str(present.iloc[0]) if len(present) else None
