"""The primary analysis of one design: OR-Hillis inference on round-1 judgments of main cases.

Round-2 repeats feed only the intra-rater analysis; practice, attention and unaware items never
reach the judgment frame. Figures of merit:

* paired design: 2AFC accuracy (share of pairs in which the reader picked the synthetic ECG);
* single design: balanced accuracy (mean of sensitivity and specificity, whose chance level
  is 0.5 whatever the share of synthetic ECGs and the readers' leaning towards one answer;
  percent correct is not: with 25% synthetic ECGs, a reader answering "real" 80% of the time
  whatever the ECG scores 65%), AUC of the signed confidence ratings, sensitivity (synthetic
  ECGs called synthetic) and specificity (real ECGs called real).

With two or more generators each generator is a modality: paired, accuracy on its own pairs;
single, balanced accuracy (mean of sensitivity on its synthetic ECGs and specificity on the
shared real ones, free of the class mix). Label consistency compares the share of "consistent
with the labels" answers about real and about synthetic ECGs as two modalities of one OR
analysis with random readers and cases (for pairs, answers about the same pair from different
readers are correlated through the shared case).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assessment.stats.frame import positive_truth
from assessment.stats.jackknife import (
    ReaderFoms,
    balanced_accuracy,
    balanced_accuracy_usable,
    case_mean,
    case_mean_usable,
    wilcoxon_auc,
    wilcoxon_auc_usable,
)
from assessment.stats.mrmc import Estimate, ORAnalysis, or_analysis

CHANCE = 0.5
# The primary figure of merit of each design (see the module docstring).
MEASURES = {"paired": "accuracy", "single": "balanced accuracy"}


@dataclass(frozen=True)
class Analysis:
    """One OR-Hillis analysis, or why it could not run."""

    analysis: ORAnalysis | None
    reason: str | None = None
    excluded_readers: tuple[str, ...] = ()

    @property
    def computable(self) -> bool:
        return self.analysis is not None


@dataclass(frozen=True)
class DesignAnalysis:
    """Everything the primary analysis of one design found."""

    design: str
    n_readers: int
    n_cases: int
    n_judgments: int
    accuracy: Analysis
    by_generator: Analysis
    auc: Analysis | None = None
    sensitivity: Analysis | None = None
    specificity: Analysis | None = None
    label_consistency: Analysis | None = None


def primary_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The judgments the primary analysis uses: round 1 (repeats are round 2)."""
    return frame[(frame["round"] == 1) & ~frame["is_repeat"].astype(bool)]


def design_analysis(
    frame: pd.DataFrame,
    design: str,
    margin: tuple[float, float],
    alpha: float = 0.05,
) -> DesignAnalysis:
    """The primary analysis of ``design`` from a validated judgment frame (all rounds)."""
    rows = primary_rows(frame[frame["design"] == design])
    correct = rows["correct"].astype(float)
    run = _Runner(rows, margin, alpha)
    result = {
        "design": design,
        "n_readers": int(rows["reader"].nunique()),
        "n_cases": int(rows["case"].nunique()),
        "n_judgments": int(len(rows)),
        "accuracy": run.single(*_accuracy_measure(rows, design), correct),
    }
    if design == "single":
        synthetic = positive_truth(rows)
        result["auc"] = run.single("auc", _auc_of(rows, synthetic), rows["signed_confidence"])
        result["sensitivity"] = run.single(
            "sensitivity", CASE_MEAN, correct.where(synthetic), margin=None
        )
        result["specificity"] = run.single(
            "specificity", CASE_MEAN, correct.where(~synthetic), margin=None
        )
        result["by_generator"] = run.by_generator(correct, synthetic)
    else:
        result["by_generator"] = run.by_generator(correct, np.ones(len(rows), dtype=bool))
    result["label_consistency"] = run.label_consistency()
    return DesignAnalysis(**result)


def accuracy_estimate(
    rows: pd.DataFrame, design: str, margin: tuple[float, float], alpha: float = 0.05
) -> tuple[str, Estimate] | None:
    """(generalisation, estimate) of the reader-averaged accuracy of ``rows`` (balanced
    accuracy in the single design): random readers and cases, or fixed readers when a single
    reader leaves no reader variance; None when no reader judged enough cases."""
    correct = rows["correct"].astype(float)
    result = _Runner(rows, margin, alpha).single(*_accuracy_measure(rows, design), correct)
    if not result.computable:
        return None
    return result.analysis.reported()


class _Runner:
    """Builds reader x case matrices from ``rows`` and runs OR analyses on them."""

    def __init__(self, rows: pd.DataFrame, margin: tuple[float, float], alpha: float):
        self.rows = rows
        self.margin = margin
        self.alpha = alpha
        self.readers, self.reader_codes = _codes(rows["reader"])
        self.cases, self.case_codes = _codes(rows["case"])

    def matrix(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Reader x case matrix of ``values`` (NaN where not judged or value missing)."""
        out = np.full((len(self.readers), len(self.cases)), np.nan)
        values = np.asarray(values, dtype=float)
        keep = ~np.isnan(values)
        out[self.reader_codes[keep], self.case_codes[keep]] = values[keep]
        return out

    def single(
        self,
        name: str,
        fom: _Fom,
        values: pd.Series,
        margin: tuple[float, float] | None | str = "study",
    ) -> Analysis:
        return self.modalities(name, {name: values}, fom, margin)

    def modalities(
        self,
        name: str,
        values_by_modality: dict[str, pd.Series | np.ndarray],
        fom: _Fom,
        margin: tuple[float, float] | None | str = "study",
        fom_range: tuple[float, float] | None = (0.0, 1.0),
    ) -> Analysis:
        matrices = {key: self.matrix(values) for key, values in values_by_modality.items()}
        usable = np.ones(len(self.readers), dtype=bool)
        for matrix in matrices.values():
            usable &= fom.usable(matrix)
        excluded = tuple(self.readers[~usable])
        if usable.sum() < 1 or len(self.cases) < 2:
            return Analysis(None, f"needs at least one reader with {fom.needs}", excluded)
        foms = [fom.compute(matrix[usable]) for matrix in matrices.values()]
        analysis = or_analysis(
            foms,
            list(matrices),
            fom_name=name,
            null=CHANCE,
            margin=self.margin if margin == "study" else margin,
            alpha=self.alpha,
            fom_range=fom_range,
        )
        return Analysis(analysis, None, excluded)

    def by_generator(self, correct: pd.Series, carries_generator: np.ndarray) -> Analysis:
        generators = self.rows["generator"].where(carries_generator)
        names = sorted(str(name) for name in generators.dropna().unique())
        if len(names) < 2:
            return Analysis(None, "needs synthetic ECGs of at least two generators")
        shared = ~carries_generator  # real ECGs of the single design belong to every modality
        values = {name: correct.where((generators == name).to_numpy() | shared) for name in names}
        if not shared.any():
            return self.modalities("accuracy", values, CASE_MEAN)
        # Single design: balanced accuracy, so a generator with fewer synthetic ECGs among
        # the shared real ones is not favoured or penalised by the readers' response bias.
        return self.modalities(
            "balanced accuracy", values, _balanced_of(self.rows, carries_generator)
        )

    def label_consistency(self) -> Analysis:
        source = self.rows["source_for_label_question"]
        return self.by_source("share consistent", self.rows["label_consistent_answer"], source)

    def by_source(
        self,
        name: str,
        values: pd.Series,
        source: pd.Series,
        fom_range: tuple[float, float] | None = (0.0, 1.0),
    ) -> Analysis:
        """Mean of ``values`` about real vs about synthetic ECGs, two matched modalities."""
        asked = values.notna() & source.notna()
        if not asked.any():
            return Analysis(None, "no answers to compare")
        numbers = values.where(asked).astype(float)
        by_source = {name: numbers.where(source == name) for name in ("real", "synthetic")}
        return self.modalities(name, by_source, CASE_MEAN, margin=None, fom_range=fom_range)


def source_comparison(
    rows: pd.DataFrame,
    name: str,
    values: pd.Series,
    source: pd.Series,
    alpha: float = 0.05,
    fom_range: tuple[float, float] | None = (0.0, 1.0),
) -> Analysis:
    """OR-Hillis comparison of the reader mean of ``values`` between answers about real and
    about synthetic ECGs (``source``), readers and cases random; CIs clipped to ``fom_range``."""
    return _Runner(rows, (0.0, 1.0), alpha).by_source(name, values, source, fom_range)


@dataclass(frozen=True)
class _Fom:
    """A figure of merit on reader x case matrices and the check of which readers it fits."""

    compute: Callable[[np.ndarray], ReaderFoms]
    usable: Callable[[np.ndarray], np.ndarray]
    needs: str = "two judged cases"  # what ``usable`` asks of a reader, for messages


CASE_MEAN = _Fom(case_mean, case_mean_usable)


BOTH_SOURCES = "two judged cases of each source"


def accuracy_needs(design: str) -> str:
    """What each reader must have judged for the design's primary measure."""
    return BOTH_SOURCES if design == "single" else CASE_MEAN.needs


def _accuracy_measure(rows: pd.DataFrame, design: str) -> tuple[str, _Fom]:
    """The primary figure of merit of a design: 2AFC accuracy for pairs, balanced accuracy
    for single ECGs."""
    if design == "single":
        return MEASURES[design], _balanced_of(rows, positive_truth(rows))
    return MEASURES[design], CASE_MEAN


def _balanced_of(rows: pd.DataFrame, positive: np.ndarray) -> _Fom:
    truth = _case_truth(rows, positive)
    return _Fom(
        lambda values: balanced_accuracy(values, truth),
        lambda values: balanced_accuracy_usable(values, truth),
        BOTH_SOURCES,
    )


def _case_truth(rows: pd.DataFrame, positive: np.ndarray) -> np.ndarray:
    codes, cases = pd.factorize(rows["case"], sort=True)
    truth = np.zeros(len(cases), dtype=bool)
    truth[codes] = positive
    return truth


def _auc_of(rows: pd.DataFrame, positive: np.ndarray) -> _Fom:
    truth = _case_truth(rows, positive)
    return _Fom(
        lambda scores: wilcoxon_auc(scores, truth),
        lambda scores: wilcoxon_auc_usable(scores, truth),
        "two rated cases of each source",
    )


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, levels = pd.factorize(values, sort=True)
    return np.asarray(levels, dtype=object), codes
