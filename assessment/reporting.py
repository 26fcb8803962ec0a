"""Study reports for staff: downloads (CSV, JSON, HTML) and the progress dashboard's data.

Downloads are computed from the database on each call; the dashboard's summary is cached
under a key that changes with every new or revised judgment, so it never lags them either.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from django.core.cache import cache
from django.db.models import Count, Max
from django.urls import reverse
from django.utils.text import slugify

from assessment.analysis_frames import (
    attention_frame,
    judgments_frame,
    revisions_frame,
    unaware_frame,
)
from assessment.models import Case, JudgmentRevision, Study
from assessment.previews import preview_token_of_id
from assessment.reports.charts import DESIGN_COLOURS, DESIGN_TITLES, forest_points
from assessment.reports.csv_report import judgments_csv
from assessment.reports.html_report import render_html_report
from assessment.reports.json_report import summary_json
from assessment.reports.privacy_section import privacy_table
from assessment.reports.realism_section import design_title, realism_rows, realism_table
from assessment.reports.table import Table
from assessment.stats.frame import validate
from assessment.stats.mrmc import RRRC
from assessment.stats.summary import random_readers, study_summary
from generator.privacy import latest_screens, privacy_screen_summary
from generator.realism import latest_evaluations

# Raised when the summary's layout changes, so that no cache serves one of an older layout.
SUMMARY_FORMAT = 2
# Each download's format name (in URLs and --format) and its link text.
EXPORT_FORMATS = {
    "csv": "judgments (CSV)",
    "json": "summary (JSON)",
    "html": "report (HTML)",
    "history": "answer history (CSV, every revision)",
}


@dataclass(frozen=True)
class Export:
    """One downloadable report: its file name, content type and text."""

    filename: str
    content_type: str
    content: str


def study_report_summary(study: Study, frame: pd.DataFrame) -> dict:
    """``study_summary`` of the study's judgment frame, its margin and unaware-phase ratings."""
    return study_summary(frame, margin=study.equivalence_margin, unaware=unaware_frame(study))


def summary_cache_key(study: Study) -> str:
    """Changes with every accepted submit (the append-only revisions only grow), with any
    judgment row change, with the readers' names (a retired reader is renamed), the margin
    and the summary's layout (:data:`SUMMARY_FORMAT`)."""
    stamp = JudgmentRevision.objects.filter(judgment__assignment__enrolment__study=study).aggregate(
        n=Count("id"), last=Max("judgment__updated_at")
    )
    last = int(stamp["last"].timestamp() * 1e6) if stamp["last"] else 0
    names = study.enrolments.order_by("reader_index").values_list("reader__username", flat=True)
    readers = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
    low, high = study.equivalence_margin
    return (
        f"study-summary-v{SUMMARY_FORMAT}-{study.pk}-{stamp['n']}-{last}-{readers}-{low:g}-{high:g}"
    )


def cached_study_summary(study: Study, key: str, frame: pd.DataFrame) -> dict:
    """``study_report_summary``, computed only when ``key`` (taken before ``frame`` was
    read, so a judgment committed in between only forces one more recomputation) is new."""
    summary = cache.get(key)
    if summary is None:
        summary = study_report_summary(study, frame)
        cache.set(key, summary, timeout=None)
    return summary


def study_export(study: Study, fmt: str) -> Export:
    """The study's long CSV, JSON summary, HTML report or the CSV of every answer revision,
    built from its current judgments."""
    if fmt not in EXPORT_FORMATS:
        choices = ", ".join(EXPORT_FORMATS)
        raise ValueError(f"unknown export format {fmt!r}; choose one of {choices}")
    stem = slugify(study.name) or f"study-{study.pk}"
    if fmt == "history":
        text = revisions_frame(study).to_csv(index=False, lineterminator="\n")
        return Export(f"{stem}-answer-history.csv", "text/csv; charset=utf-8", text)
    frame = judgments_frame(study)
    if fmt == "csv":
        return Export(f"{stem}-judgments.csv", "text/csv; charset=utf-8", judgments_csv(frame))
    summary = study_report_summary(study, frame)
    blinding = study_blinding(study)
    privacy = study_privacy(study)
    realism = study_realism(study, summary, frame)
    if fmt == "json":
        summary = {**summary, "blinding": blinding, "privacy": privacy, "realism": realism}
        return Export(
            f"{stem}-summary.json", "application/json; charset=utf-8", summary_json(summary)
        )
    title = f"Reader study report: {study.name}"
    html = render_html_report(
        summary, frame, title=title, blinding=blinding, privacy=privacy, realism=realism["rows"]
    )
    return Export(f"{stem}-report.html", "text/html; charset=utf-8", html)


def study_privacy(study: Study) -> list[dict]:
    """The latest privacy screen of each synthetic origin the study was seeded from."""
    origins = ((study.seeding or {}).get("pool") or {}).get("synthetic_origins") or []
    return [privacy_screen_summary(screen) for screen in latest_screens(origins)]


def study_realism(study: Study, summary: dict, frame: pd.DataFrame) -> dict:
    """The latest realism evaluation of each synthetic origin the study was seeded from
    (``evaluations``) and, per design, beside the readers' accuracy (``rows``)."""
    origins = ((study.seeding or {}).get("pool") or {}).get("synthetic_origins") or []
    evaluations = [
        {
            "id": evaluation.pk,
            "synthetic_origin": evaluation.synthetic_origin,
            "generator": evaluation.generator_key,
            "checkpoint_sha256": evaluation.checkpoint_sha256,
            "created_at": evaluation.created_at.isoformat(),
            "train_folds": evaluation.train_folds,
            "test_folds": evaluation.test_folds,
            "generator_training": evaluation.generator_training,
            "metrics": evaluation.metrics,
        }
        for evaluation in latest_evaluations(origins)
    ]
    generators = set(validate(frame)["generator"].dropna().unique()) if len(frame) else set()
    return {"evaluations": evaluations, "rows": realism_rows(summary, evaluations, generators)}


def study_blinding(study: Study) -> dict:
    """The blinding audit a report shows: the one frozen at opening (with the recorded
    reason when staff opened the study despite it), else the latest one of a draft."""
    snapshot = study.snapshot or {}
    if "blinding_audit" in snapshot:
        return {
            "audit": snapshot["blinding_audit"],
            "frozen_at_opening": True,
            "override": snapshot.get("opened_despite_audit"),
        }
    return {"audit": study.blinding_audit, "frozen_at_opening": False, "override": None}


@dataclass(frozen=True)
class ReaderProgress:
    """How far one reader has got, how fast and how attentively."""

    reader: str
    assigned: int
    answered: int
    consented: bool
    completed: bool
    last_activity: datetime | None
    median_time_s: float | None
    attention_passed: int
    attention_total: int

    @property
    def completion_pct(self) -> float | None:
        return _share_pct(self.answered, self.assigned)

    @property
    def attention_pct(self) -> float | None:
        return _share_pct(self.attention_passed, self.attention_total)


@dataclass(frozen=True)
class ForestRow:
    """One line of the forest plot: an accuracy estimate and its 95% interval on 0..1."""

    label: str
    n: int
    estimate: float | None
    low: float | None
    high: float | None
    pooled: bool = False

    @property
    def x(self) -> str | None:
        return _percent(self.estimate)

    @property
    def x_low(self) -> str | None:
        return _percent(self.low)

    @property
    def x_high(self) -> str | None:
        return _percent(self.high)


@dataclass(frozen=True)
class CaseRow:
    """One case of the dashboard's difficulty table, with staff preview links of its ECGs."""

    case: str
    n_readers: int
    share_right: float
    median_time_s: float | None
    label_set: str
    generator: str
    real_preview: str | None
    synthetic_preview: str | None


@dataclass(frozen=True)
class DesignStats:
    """The running statistics of one design, picked out of the study summary."""

    design: str
    title: str
    section: dict
    primary: dict | None
    secondary: list[tuple[str, dict]]  # (auc / sensitivity / specificity, estimate)
    d_prime: float | None
    criterion_c: float | None
    forest: list[ForestRow]
    cases: list[CaseRow]


@dataclass(frozen=True)
class SourceComparison:
    """An unaware-phase rating, real vs synthetic ECGs (OR-Hillis, readers and cases random)."""

    name: str
    real: dict
    synthetic: dict
    difference: dict


@dataclass(frozen=True)
class RealismRow:
    """One row of ``realism_section.realism_rows`` (a design's readers' accuracy on a
    generator's ECGs beside its machine realism) and its point on the dashboard's plot."""

    values: dict

    @property
    def design_title(self) -> str:
        return design_title(self.values["design"])

    @property
    def readers_low(self) -> float | None:
        return (self.values["readers_ci95"] or (None, None))[0]

    @property
    def readers_high(self) -> float | None:
        return (self.values["readers_ci95"] or (None, None))[1]

    @property
    def colour(self) -> str:
        return DESIGN_COLOURS.get(self.values["design"], "#000")

    @property
    def x(self) -> str:
        return _percent(self.values["tstr_auc"])

    @property
    def y(self) -> str | None:
        """SVG y grows downwards: accuracy 1 at the top."""
        accuracy = self.values["readers_accuracy"]
        return None if accuracy is None else _percent(1 - accuracy)

    @property
    def y_low(self) -> str | None:
        return None if self.readers_low is None else _percent(1 - self.readers_low)

    @property
    def y_high(self) -> str | None:
        return None if self.readers_high is None else _percent(1 - self.readers_high)


@dataclass(frozen=True)
class Dashboard:
    """Everything the staff dashboard of a study shows."""

    study: Study
    readers: list[ReaderProgress]
    summary: dict
    designs: list[DesignStats]
    margin_x: str
    margin_width: str
    unaware: list[SourceComparison]
    privacy: list[dict]  # study_privacy, as the report shows it
    realism_evaluations: list[dict]  # study_realism's evaluations, as the report's
    realism: list[RealismRow]

    @property
    def privacy_table(self) -> Table:
        """The report's privacy table, each screen linked to its staff page."""
        return privacy_table(
            self.privacy, lambda pk: reverse("assessment:staff-privacy-screen", args=[pk])
        )

    @property
    def realism_table(self) -> Table:
        """The report's realism table."""
        return realism_table([row.values for row in self.realism])

    @property
    def realism_plotted(self) -> list[RealismRow]:
        """The rows with a readers' accuracy, which the plot shows."""
        return [row for row in self.realism if row.y is not None]

    @property
    def realism_designs(self) -> list[tuple[str, str]]:
        """(design title, colour) of the plotted designs, for the plot's legend."""
        return list(dict.fromkeys((row.design_title, row.colour) for row in self.realism_plotted))

    @property
    def assigned(self) -> int:
        return sum(reader.assigned for reader in self.readers)

    @property
    def answered(self) -> int:
        return sum(reader.answered for reader in self.readers)

    @property
    def completion_pct(self) -> float | None:
        return _share_pct(self.answered, self.assigned)

    @property
    def n_judgments(self) -> int:
        return self.summary["meta"]["n_judgments"]


def study_dashboard(study: Study) -> Dashboard:
    """Reader progress and the running statistics of ``study`` in a fixed number of queries."""
    key = summary_cache_key(study)
    frame = judgments_frame(study)
    summary = cached_study_summary(study, key, frame)
    previews = _previews(study) if summary["designs"] else {}
    low, high = summary["meta"]["margin"]
    realism = study_realism(study, summary, frame)
    return Dashboard(
        study=study,
        readers=reader_progress(study, validate(frame)),
        summary=summary,
        designs=[_design_stats(summary, design, previews) for design in summary["designs"]],
        margin_x=_percent(low),
        margin_width=_percent(high - low),
        unaware=_unaware_rows(summary["unaware"]),
        privacy=study_privacy(study),
        realism_evaluations=realism["evaluations"],
        realism=[RealismRow(row) for row in realism["rows"]],
    )


def reader_progress(study: Study, judgments: pd.DataFrame) -> list[ReaderProgress]:
    """Per enrolled reader, in enrolment order; ``judgments`` is the validated main frame.

    Answered/assigned count every item of the reader's list (practice and checks included);
    the median time is over main cases only; attention checks give the pass rate.
    """
    enrolments = (
        study.enrolments.select_related("reader")
        .annotate(
            assigned=Count("assignments", distinct=True),
            answered=Count("assignments__judgments", distinct=True),
            last_answered=Max("assignments__judgments__answered_at"),
            last_shown=Max("assignments__shown_at"),
        )
        .order_by("reader_index")
    )
    median_times = judgments.groupby("reader")["decision_time_s"].median()
    checks = attention_frame(study)
    passed = checks.groupby("reader")["passed"].agg(["sum", "count"])
    rows = []
    for enrolment in enrolments:
        name = enrolment.reader.get_username()
        moments = (
            enrolment.consented_at,
            enrolment.instructions_seen_at,
            enrolment.revealed_at,
            enrolment.completed_at,
            enrolment.last_answered,
            enrolment.last_shown,
        )
        median = median_times.get(name)
        rows.append(
            ReaderProgress(
                reader=name,
                assigned=enrolment.assigned,
                answered=enrolment.answered,
                consented=enrolment.consented_at is not None,
                completed=enrolment.completed_at is not None,
                last_activity=max((m for m in moments if m is not None), default=None),
                median_time_s=None if median is None or pd.isna(median) else float(median),
                attention_passed=int(passed["sum"].get(name, 0)),
                attention_total=int(passed["count"].get(name, 0)),
            )
        )
    return rows


def _unaware_rows(unaware: dict) -> list[SourceComparison]:
    rows = []
    for name, analysis in unaware.items():
        if not analysis["computable"]:
            continue
        primary = random_readers(analysis)
        real, synthetic = primary["modalities"]
        (difference,) = primary["differences"]
        rows.append(SourceComparison(name.replace("_", " "), real, synthetic, difference))
    return rows


def _previews(study: Study) -> dict[str, tuple[str | None, str | None]]:
    """Staff preview URLs (real, synthetic) of every main case's ECGs, keyed like the frame."""
    cases = study.cases.filter(kind=Case.Kind.MAIN).values_list(
        "pk", "real_ecg_id", "synthetic_ecg_id"
    )
    return {str(pk): (_preview_url(real), _preview_url(synthetic)) for pk, real, synthetic in cases}


def _preview_url(ecg_id: int | None) -> str | None:
    if ecg_id is None:
        return None
    return reverse("ecg_render:rendered", args=[preview_token_of_id(ecg_id), "svg"])


def _design_stats(summary: dict, design: str, previews: dict) -> DesignStats:
    section = summary["designs"][design]
    first = section["round_1"]
    detection = first["detection"]
    # The single design reports yes/no detection theory; the paired design a 2AFC d'.
    signal = detection.get("signal_detection", detection)
    points = forest_points(section, design)
    forest = [
        ForestRow(label, n, estimate, low, high, pooled=index == len(points) - 1)
        for index, (label, n, estimate, (low, high)) in enumerate(points)
    ]
    return DesignStats(
        design=design,
        title=DESIGN_TITLES[design],
        section=section,
        primary=_primary_estimate(section["primary"]["accuracy"]),
        secondary=_secondary_estimates(section["primary"]),
        d_prime=signal["d_prime"],
        criterion_c=signal.get("criterion_c"),
        forest=forest,
        cases=[
            CaseRow(
                case=entry["case"],
                n_readers=entry["n_readers"],
                share_right=entry["share_right"],
                median_time_s=entry["median_time_s"],
                label_set=entry["label_set"] or "",
                generator=entry["generator"] or "",
                real_preview=previews.get(entry["case"], (None, None))[0],
                synthetic_preview=previews.get(entry["case"], (None, None))[1],
            )
            for entry in section["cases"]
        ],
    )


def _primary_estimate(analysis: dict) -> dict | None:
    """The estimate the headline quotes of a one-modality analysis, if computable: random
    readers and cases, or fixed readers when they leave no reader variance (one reader), with
    ``generalisation`` naming which."""
    if not analysis["computable"]:
        return None
    reported = analysis["reported"]
    (estimate,) = analysis["generalisations"][reported]["modalities"]
    return {
        **estimate,
        "generalisation": reported,
        "readers_random": reported == RRRC,
        "n_readers": analysis["n_readers"],
    }


SECONDARY_FOMS = ("auc", "sensitivity", "specificity")  # of the single design


def _secondary_estimates(primary: dict) -> list[tuple[str, dict]]:
    """(figure of merit, :func:`_primary_estimate`) of the computable secondary FOMs."""
    estimates = [(key, _primary_estimate(primary[key])) for key in SECONDARY_FOMS if key in primary]
    return [(key, estimate) for key, estimate in estimates if estimate is not None]


def _share_pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _percent(value: float | None) -> str | None:
    """A 0..1 value as an SVG percentage with a '.' decimal point, whatever the locale."""
    return None if value is None else f"{100 * value:.2f}"
