"""Read queries of the assessment app: the reader's next step, pages, panels and progress."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from assessment.answers import AnswerRules
from assessment.models import Assignment, Case, Enrolment, Judgment, Study


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
