"""The plain-words answer of one design, from its primary (OR-Hillis) accuracy analysis."""

from __future__ import annotations

import math

from assessment.stats.mrmc import RRRC, Estimate, ORAnalysis
from assessment.stats.primary import DesignAnalysis

WHAT_WAS_DONE = {
    "paired": "identified the synthetic ECG in {estimate} of pairs",
    "single": "told single ECGs apart as real or synthetic with a balanced accuracy (the "
    "mean of the shares right among synthetic and among real ECGs) of {estimate}",
}


def format_p(p_value: float | None) -> str:
    """A p-value for prose: '< 0.0001' below 0.0001, otherwise two significant digits."""
    if p_value is None or not math.isfinite(p_value):
        return "n/a"
    if p_value < 0.0001:
        return "< 0.0001"
    return f"= {p_value:.2g}" if p_value < 0.1 else f"= {p_value:.2f}"


def percent(value: float) -> str:
    """A 0..1 share as a whole percentage."""
    return f"{100 * value:.0f}%"


def percent_range(low: float, high: float) -> str:
    """Two 0..1 shares as one range of whole percentages: '46–62%'."""
    return f"{100 * low:.0f}–{100 * high:.0f}%"


def headline(result: DesignAnalysis, margin: tuple[float, float], alpha: float = 0.05) -> str:
    """One sentence answering the design's question, e.g. 'Across 12 readers and 40 cases,
    physicians identified the synthetic ECG in 54% of pairs (95% CI 46-62%); this is within
    the equivalence margin 40-60% (TOST p = 0.03).'"""
    if not result.accuracy.computable:
        return f"No primary analysis yet: {result.accuracy.reason}."
    analysis = result.accuracy.analysis
    estimate, scope = _estimate_and_scope(analysis)
    readers = f"{analysis.n_readers} reader{'s' if analysis.n_readers != 1 else ''}"
    opening = f"Across {readers} and {analysis.n_cases} cases, physicians " + WHAT_WAS_DONE[
        result.design
    ].format(estimate=percent(estimate.estimate))
    if not math.isfinite(estimate.se):
        return opening + "; the variance between cases is zero, so no interval can be given."
    band = percent_range(*margin)
    return (
        f"{opening} (95% CI {percent_range(*estimate.ci95)}{scope}); "
        + _verdict(estimate, band, margin, alpha)
        + "."
        + _few_readers_note(analysis, scope)
    )


FEW_READERS = 3


def _few_readers_note(analysis: ORAnalysis, scope: str) -> str:
    """A caution when readers are random but so few that OR-Hillis intervals run narrow
    (about 91% coverage for a nominal 95% with three readers in simulation)."""
    if scope or analysis.n_readers > FEW_READERS:
        return ""
    return (
        f" With only {analysis.n_readers} readers, treat the interval as approximate: "
        f"intervals over so few random readers run narrower than stated."
    )


def _estimate_and_scope(analysis: ORAnalysis) -> tuple[Estimate, str]:
    generalisation, estimate = analysis.reported()
    if generalisation == RRRC:
        return estimate, ""
    if analysis.n_readers == 1:
        return estimate, ", this reader only"
    return estimate, ", these readers only: their accuracies do not vary"


def _verdict(estimate: Estimate, band: str, margin: tuple[float, float], alpha: float) -> str:
    tost = f"TOST p {format_p(estimate.tost_p)}"
    chance = f"p {format_p(estimate.p_value)} against chance"
    differs = estimate.p_value < alpha
    direction = "better" if estimate.estimate > estimate.null else "worse"
    if estimate.within_margin:
        also = f", though {direction} than chance ({chance})" if differs else ""
        return f"this is within the equivalence margin {band} ({tost}){also}"
    low, high = estimate.ci90
    outside = high < margin[0] or low > margin[1]
    where = "outside" if outside else "not shown within"
    if differs:
        return (
            f"this is {direction} than chance ({chance}) and {where} the equivalence margin "
            f"{band} ({tost})"
        )
    return (
        f"this is neither shown within the equivalence margin {band} ({tost}) nor shown "
        f"different from chance ({chance}): more readers or cases are needed"
    )
