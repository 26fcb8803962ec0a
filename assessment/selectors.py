"""Read queries of the assessment app: the reader's next step, pages, images and analysis frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from assessment.answers import AnswerRules
from assessment.models import Assignment, Case, Enrolment, Judgment, Study

# The statistics contract (assessment/stats/frame.py) names the two panels left/right;
# on screen they are stacked, panel A on top.
FRAME_SIDE = {"top": "left", "bottom": "right"}


@dataclass(frozen=True)
class Step:
    """Where a reader goes next: consent, instructions, reveal, item, done or closed."""

    name: str
    assignment: Assignment | None = None


def reader_enrolments(reader: AbstractBaseUser) -> QuerySet[Enrolment]:
    """The reader's enrolments in studies that have opened."""
    return (
        Enrolment.objects.filter(reader=reader)
        .exclude(study__status=Study.Status.DRAFT)
        .select_related("study")
        .order_by("-study__opened_at")
    )


def enrolment_for_reader(token: str, reader: AbstractBaseUser) -> Enrolment | None:
    """The reader's own enrolment behind ``token`` in an opened study, else None."""
    return reader_enrolments(reader).filter(token=token).first()


def assignment_for_reader(token: str, reader: AbstractBaseUser) -> Assignment | None:
    """The reader's own assignment behind ``token`` in an opened study, else None."""
    return (
        Assignment.objects.select_related("enrolment__study", "case")
        .exclude(enrolment__study__status=Study.Status.DRAFT)
        .filter(token=token, enrolment__reader=reader)
        .first()
    )


def next_step(enrolment: Enrolment) -> Step:
    """The reader's next step; after a reload or a new login this resumes where they left."""
    study = enrolment.study
    if enrolment.consented_at is None:
        return Step("consent") if study.status == Study.Status.OPEN else Step("closed")
    if enrolment.instructions_seen_at is None:
        return Step("instructions") if study.status == Study.Status.OPEN else Step("closed")
    upcoming = (
        enrolment.assignments.filter(judgments__isnull=True)
        .select_related("case")
        .order_by("position")
        .first()
    )
    if upcoming is None:
        return Step("done")
    if study.status != Study.Status.OPEN:
        return Step("closed")
    upcoming.enrolment = enrolment
    if (
        study.unaware_phase
        and upcoming.phase != Assignment.Phase.UNAWARE
        and enrolment.revealed_at is None
    ):
        return Step("reveal")
    return Step("item", upcoming)


def answer_rules(assignment: Assignment) -> AnswerRules:
    """What the item asks, from its study's settings and its phase."""
    study = assignment.enrolment.study
    return AnswerRules(
        paired=assignment.case.is_pair,
        phase=assignment.phase,
        ask_confidence=study.ask_confidence,
        ask_label_consistency=study.ask_label_consistency,
        ask_reason=study.ask_reason,
        quality_scale_max=study.quality_scale_max,
    )


def phase_progress(assignment: Assignment) -> tuple[int, int]:
    """(answered, total) items of the assignment's phase in the reader's list."""
    counts = Assignment.objects.filter(
        enrolment_id=assignment.enrolment_id, phase=assignment.phase
    ).aggregate(total=Count("id"), answered=Count("judgments"))
    return counts["answered"], counts["total"]


def previous_assignment(assignment: Assignment) -> Assignment | None:
    """The item shown just before this one in the same phase (for back navigation)."""
    return (
        Assignment.objects.filter(
            enrolment_id=assignment.enrolment_id,
            phase=assignment.phase,
            position__lt=assignment.position,
        )
        .order_by("-position")
        .only("token")
        .first()
    )


def judgment_of(assignment: Assignment) -> Judgment | None:
    """The stored judgment of this assignment's round, if any."""
    return Judgment.objects.filter(assignment=assignment, round=assignment.round).first()


def ecg_ids_of(cases: QuerySet[Case]) -> set[int]:
    """ids of every ECG the cases show (real and synthetic, each once)."""
    ids = set()
    for real, synthetic in cases.values_list("real_ecg_id", "synthetic_ecg_id"):
        ids.update(pk for pk in (real, synthetic) if pk is not None)
    return ids


def panel_for_reader(token: str, reader: AbstractBaseUser) -> tuple[Assignment, str] | None:
    """The reader's assignment showing the panel ``token`` and which panel ('a'/'b')."""
    assignment = (
        Assignment.objects.select_related("enrolment__study", "case")
        .exclude(enrolment__study__status=Study.Status.DRAFT)
        .filter(Q(panel_a_token=token) | Q(panel_b_token=token), enrolment__reader=reader)
        .first()
    )
    if assignment is None:
        return None
    return assignment, "a" if assignment.panel_a_token == token else "b"


def study_reader_progress(study: Study) -> list[dict]:
    """Per reader: answered and total items, consent and completion (staff study page)."""
    rows = (
        study.enrolments.select_related("reader")
        .annotate(total=Count("assignments"), answered=Count("assignments__judgments"))
        .order_by("reader_index")
    )
    return [
        {
            "reader": e.reader.get_username(),
            "answered": e.answered,
            "total": e.total,
            "consented": e.consented_at is not None,
            "completed": e.completed_at is not None,
        }
        for e in rows
    ]


_FRAME_FIELDS = {
    "reader": "assignment__enrolment__reader__username",
    "reader_experience_years": "assignment__enrolment__reader__reader_profile__years_experience",
    "reader_specialty": "assignment__enrolment__reader__reader_profile__specialty",
    "item": "assignment__token",
    "case_id": "assignment__case_id",
    "round": "round",
    "case_kind": "assignment__case__kind",
    "real_ecg": "assignment__case__real_ecg_id",
    "synthetic_on_top": "assignment__synthetic_on_top",
    "raw_answer": "answer",
    "confidence": "confidence",
    "superclass": "assignment__case__stratum",
    "label_set": "assignment__case__label_set",
    "generator_name": "assignment__case__synthetic_ecg__generator_name",
    "generator_origin": "assignment__case__synthetic_ecg__origin",
    "shown_at": "shown_at",
    "answered_at": "answered_at",
    "active_time_ms": "active_time_ms",
    "answer_changes": "answer_changes",
    "label_consistent_answer": "label_consistent",
    "quality": "quality",
    "reason": "reason",
}


def _judgment_rows(study: Study, phase: str, kinds: tuple[str, ...]) -> pd.DataFrame:
    rows = Judgment.objects.filter(
        assignment__enrolment__study=study,
        assignment__phase=phase,
        assignment__case__kind__in=kinds,
    ).order_by("assignment__enrolment__reader_index", "assignment__position")
    frame = pd.DataFrame(list(rows.values(*_FRAME_FIELDS.values())))
    if frame.empty:
        return pd.DataFrame(columns=list(_FRAME_FIELDS))
    frame.columns = list(_FRAME_FIELDS)
    paired = frame["synthetic_on_top"].notna()
    single_truth = np.where(frame["real_ecg"].isna(), "synthetic", "real")
    paired_truth = np.where(frame["synthetic_on_top"] == True, "left", "right")  # noqa: E712
    frame["design"] = np.where(paired, "paired", "single")
    frame["truth"] = np.where(paired, paired_truth, single_truth)
    frame["answer"] = frame["raw_answer"].map(lambda a: FRAME_SIDE.get(a, a))
    generator = frame["generator_name"].where(frame["generator_name"] != "", None)
    frame["generator"] = generator.fillna(frame["generator_origin"])
    frame["case"] = frame["case_id"].astype(str)
    return frame


def judgments_frame(study: Study) -> pd.DataFrame:
    """Main-phase judgments on main cases, one row per judgment, in the long format of
    assessment/stats/frame.py (practice, unaware phase and attention checks left out)."""
    columns = [
        "reader", "reader_experience_years", "reader_specialty", "item", "case", "round",
        "design", "truth", "answer", "correct", "confidence", "superclass", "label_set",
        "generator", "time_shown_s", "time_answered_s", "active_time_s", "answer_changes",
        "is_repeat", "label_consistent_answer", "source_for_label_question", "phase",
    ]  # fmt: skip
    frame = _judgment_rows(study, Assignment.Phase.MAIN, (Case.Kind.MAIN,))
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["correct"] = frame["answer"] == frame["truth"]
    frame["time_shown_s"] = frame["shown_at"].map(lambda t: t.timestamp())
    frame["time_answered_s"] = frame["answered_at"].map(lambda t: t.timestamp())
    frame["active_time_s"] = frame["active_time_ms"].astype(float) / 1000.0
    frame["is_repeat"] = frame["round"] == 2
    # The label question is about the top panel (paired) or the one ECG shown (single).
    top_source = np.where(frame["synthetic_on_top"] == True, "synthetic", "real")  # noqa: E712
    source = np.where(frame["design"] == "paired", top_source, frame["truth"])
    asked = frame["label_consistent_answer"].notna()
    frame["source_for_label_question"] = pd.Series(source, index=frame.index).where(asked)
    frame["label_consistent_answer"] = frame["label_consistent_answer"].astype(object)
    frame["phase"] = Assignment.Phase.MAIN.value
    return frame[columns].reset_index(drop=True)


def attention_frame(study: Study) -> pd.DataFrame:
    """Attention-check results, one row per judgment: reader, item, answer, passed."""
    frame = _judgment_rows(study, Assignment.Phase.MAIN, (Case.Kind.ATTENTION,))
    columns = ["reader", "item", "design", "truth", "answer", "passed", "confidence"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["passed"] = frame["answer"] == frame["truth"]
    return frame[columns].reset_index(drop=True)


def unaware_frame(study: Study) -> pd.DataFrame:
    """Unaware-phase ratings (before the reveal): quality and label fit per shown ECG."""
    frame = _judgment_rows(study, Assignment.Phase.UNAWARE, (Case.Kind.UNAWARE,))
    columns = [
        "reader", "reader_experience_years", "reader_specialty", "item", "case", "source",
        "quality", "label_consistent_answer", "superclass", "label_set", "generator", "phase",
    ]  # fmt: skip
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["source"] = frame["truth"]
    frame["generator"] = frame["generator"].where(frame["source"] == "synthetic")
    frame["phase"] = Assignment.Phase.UNAWARE.value
    return frame[columns].reset_index(drop=True)
