"""Read queries of the assessment app: the reader's next step, pages, panels and progress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, Q, QuerySet

from assessment.answers import AnswerRules
from assessment.models import Assignment, Case, Enrolment, Judgment, Study
from generator.models import ECG


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


def next_assignment(assignment: Assignment) -> Assignment | None:
    """The unanswered item after this one in the reader's list (its panels are prefetched)."""
    return (
        Assignment.objects.filter(
            enrolment_id=assignment.enrolment_id,
            position__gt=assignment.position,
            judgments__isnull=True,
        )
        .order_by("position")
        .only("panel_a_token", "panel_b_token")
        .first()
    )


@dataclass(frozen=True)
class ItemCounts:
    """An enrolment's progress: main items answered of all main items, how many items
    (practice included) are still to answer, and how many of those are practice."""

    answered: int = 0
    total: int = 0
    left: int = 0
    practice_left: int = 0


def enrolment_item_counts(enrolment_ids: list[int]) -> dict[int, ItemCounts]:
    """:class:`ItemCounts` of each enrolment, by enrolment id."""
    main = Q(phase=Assignment.Phase.MAIN)
    practice = Q(phase=Assignment.Phase.PRACTICE)
    done = Q(judgments__isnull=False)
    rows = (
        Assignment.objects.filter(enrolment_id__in=enrolment_ids)
        .values("enrolment_id")
        .annotate(
            total=Count("id", filter=main, distinct=True),
            answered=Count("id", filter=main & done, distinct=True),
            items=Count("id", distinct=True),
            any_answered=Count("id", filter=done, distinct=True),
            practice=Count("id", filter=practice, distinct=True),
            practice_answered=Count("id", filter=practice & done, distinct=True),
        )
    )
    counts = {pk: ItemCounts() for pk in enrolment_ids}
    for row in rows:
        counts[row["enrolment_id"]] = ItemCounts(
            answered=row["answered"],
            total=row["total"],
            left=row["items"] - row["any_answered"],
            practice_left=row["practice"] - row["practice_answered"],
        )
    return counts


def judgment_of(assignment: Assignment) -> Judgment | None:
    """The stored judgment of this assignment's round, if any."""
    return Judgment.objects.filter(assignment=assignment, round=assignment.round).first()


def judgment_has_client_token(judgment: Judgment, token: str) -> bool:
    """Whether one of the judgment's accepted submits carried ``token`` (a UUID's text)."""
    try:
        parsed = uuid.UUID(token)
    except ValueError:
        return False
    return judgment.history.filter(client_token=parsed).exists()


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


@dataclass(frozen=True)
class ReaderProgress:
    """One reader of a study on the staff study page: answered and total items per phase
    (main items count round-2 repeats and attention checks; practice is apart)."""

    reader: str
    consented: bool
    completed: bool
    main_answered: int
    main_total: int
    practice_answered: int
    practice_total: int
    unaware_answered: int
    unaware_total: int
    last_answer_at: datetime | None

    @property
    def main_percent(self) -> int:
        return percent(self.main_answered, self.main_total)

    @property
    def finished(self) -> bool:
        total = self.main_total + self.practice_total + self.unaware_total
        return self.main_answered + self.practice_answered + self.unaware_answered == total


def percent(part: int, whole: int) -> int:
    """``part`` of ``whole`` in whole percent, rounded down (100 only when complete)."""
    return 100 * part // whole if whole else 0


def study_reader_progress(study: Study) -> list[ReaderProgress]:
    """Per reader, in enrolment order: consent, completion and items answered per phase."""
    counts = {}
    for phase in Assignment.Phase.values:
        in_phase = Q(assignments__phase=phase)
        counts[f"{phase}_total"] = Count("assignments", filter=in_phase, distinct=True)
        counts[f"{phase}_answered"] = Count(
            "assignments__judgments", filter=in_phase, distinct=True
        )
    rows = (
        study.enrolments.select_related("reader")
        .annotate(**counts, last_answer_at=Max("assignments__judgments__answered_at"))
        .order_by("reader_index")
    )
    return [
        ReaderProgress(
            reader=e.reader.get_username(),
            consented=e.consented_at is not None,
            completed=e.completed_at is not None,
            main_answered=e.main_answered,
            main_total=e.main_total,
            practice_answered=e.practice_answered,
            practice_total=e.practice_total,
            unaware_answered=e.unaware_answered,
            unaware_total=e.unaware_total,
            last_answer_at=e.last_answer_at,
        )
        for e in rows
    ]


@dataclass(frozen=True)
class StudyOverview:
    """A study on the staff home: readers enrolled and finished, main items answered."""

    study: Study
    readers: int
    readers_completed: int
    main_answered: int
    main_total: int

    @property
    def main_percent(self) -> int:
        return percent(self.main_answered, self.main_total)


def staff_study_overview() -> list[StudyOverview]:
    """Every study (newest first) with its readers' progress on main items."""
    studies = Study.objects.annotate(
        n_readers=Count("enrolments", distinct=True),
        n_completed=Count(
            "enrolments", filter=Q(enrolments__completed_at__isnull=False), distinct=True
        ),
    ).order_by("-id")
    main = (
        Assignment.objects.filter(phase=Assignment.Phase.MAIN)
        .values("enrolment__study_id")
        .annotate(total=Count("id", distinct=True), answered=Count("judgments", distinct=True))
    )
    by_study = {row["enrolment__study_id"]: row for row in main}
    overview = []
    for study in studies:
        row = by_study.get(study.pk, {"answered": 0, "total": 0})
        overview.append(
            StudyOverview(study, study.n_readers, study.n_completed, row["answered"], row["total"])
        )
    return overview


def ecg_origin_counts(
    source: str, *, exclude_origins: tuple[str, ...] = ()
) -> list[tuple[str, int]]:
    """(origin, number of ECGs) of one source in the store, by origin."""
    rows = (
        ECG.objects.filter(source=source)
        .exclude(origin__in=exclude_origins)
        .values("origin")
        .annotate(n=Count("id"))
        .order_by("origin")
    )
    return [(row["origin"], row["n"]) for row in rows]


def real_fold_counts() -> list[tuple[int, int]]:
    """(strat fold, number of real ECGs) for the folds present in the store, by fold."""
    rows = (
        ECG.objects.filter(source=ECG.Source.REAL, strat_fold__isnull=False)
        .values("strat_fold")
        .annotate(n=Count("id"))
        .order_by("strat_fold")
    )
    return [(row["strat_fold"], row["n"]) for row in rows]


@dataclass(frozen=True)
class ReaderChoice:
    """An active user who can be enrolled: how many studies they are in and how many ECGs
    they were shown or are due to see there (seeding leaves those out)."""

    username: str
    is_staff: bool
    studies: int
    ecgs_seen: int


def reader_choices() -> list[ReaderChoice]:
    """Active users, readers before staff, by username."""
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .annotate(
            n_studies=Count("enrolments__study", distinct=True),
            # An ECG is either real or synthetic, so the two distinct counts add up.
            n_real=Count("enrolments__study__cases__real_ecg", distinct=True),
            n_synthetic=Count("enrolments__study__cases__synthetic_ecg", distinct=True),
        )
        .order_by("is_staff", "username")
    )
    return [
        ReaderChoice(u.get_username(), u.is_staff, u.n_studies, u.n_real + u.n_synthetic)
        for u in users
    ]
