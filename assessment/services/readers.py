"""A reader's workflow milestones: consent and profile, instructions, the reveal, completion."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from assessment.errors import StudyStateError
from assessment.models import Assignment, Enrolment, ReaderProfile, Study


@transaction.atomic
def enrolment_consent(
    *, enrolment: Enrolment, specialty: str, years_experience: int, ecgs_per_week: int
) -> Enrolment:
    """Record consent to the study and the reader's profile: on the enrolment as it is now
    (what this study's analysis uses) and as the reader's default for later studies."""
    if specialty not in ReaderProfile.Specialty.values:
        raise ValueError(f"unknown specialty {specialty!r}")
    if years_experience < 0 or years_experience > 70 or ecgs_per_week < 0:
        raise ValueError("years of experience must be 0..70 and ECGs per week >= 0")
    ReaderProfile.objects.update_or_create(
        user=enrolment.reader,
        defaults={
            "specialty": specialty,
            "years_experience": years_experience,
            "ecgs_per_week": ecgs_per_week,
        },
    )
    if enrolment.consented_at is None:
        enrolment.specialty = specialty
        enrolment.years_experience = years_experience
        enrolment.ecgs_per_week = ecgs_per_week
        enrolment.save(update_fields=["specialty", "years_experience", "ecgs_per_week"])
    return _stamp_once(enrolment, "consented_at")


@transaction.atomic
def enrolment_acknowledge_instructions(*, enrolment: Enrolment) -> Enrolment:
    """The reader has read the instructions."""
    if enrolment.consented_at is None:
        raise StudyStateError("consent comes before the instructions")
    return _stamp_once(enrolment, "instructions_seen_at")


@transaction.atomic
def enrolment_acknowledge_reveal(*, enrolment: Enrolment) -> Enrolment:
    """The reader has been told that the study includes synthetic ECGs."""
    unanswered = enrolment.assignments.filter(
        phase=Assignment.Phase.UNAWARE, judgments__isnull=True
    )
    if unanswered.exists():
        raise StudyStateError("the reveal follows the unaware phase")
    return _stamp_once(enrolment, "revealed_at")


@transaction.atomic
def enrolment_complete(*, enrolment: Enrolment) -> Enrolment:
    """Mark the reader's list as finished (once every assignment has a judgment)."""
    if enrolment.study.status == Study.Status.DRAFT:
        raise StudyStateError("the study is not open")
    if enrolment.assignments.filter(judgments__isnull=True).exists():
        raise StudyStateError("some items are still unanswered")
    return _stamp_once(enrolment, "completed_at")


def assignment_mark_shown(*, assignment: Assignment) -> None:
    """Record when the item was first shown (one conditional UPDATE; later views keep it)."""
    if assignment.shown_at is not None:
        return
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk, shown_at__isnull=True).update(shown_at=now)
    assignment.shown_at = now


def _stamp_once(enrolment: Enrolment, field: str) -> Enrolment:
    """Set a milestone's time the first time it is reached; later calls keep it."""
    if getattr(enrolment, field) is None:
        setattr(enrolment, field, timezone.now())
        enrolment.save(update_fields=[field])
    return enrolment


@transaction.atomic
def reader_retire(*, reader: AbstractBaseUser) -> AbstractBaseUser:
    """Deactivate a reader and pseudonymise the account (username ``retired-<id>``, no name or
    e-mail, no stored profile). Their enrolments and judgments stay, with the profile each
    enrolment recorded at consent; nothing is deleted."""
    if reader.is_staff or reader.is_superuser:
        raise StudyStateError(f"{reader.get_username()} is staff: retire readers only")
    reader.is_active = False
    setattr(reader, reader.USERNAME_FIELD, _free_pseudonym(reader))
    for field in ("first_name", "last_name", "email"):
        if hasattr(reader, field):
            setattr(reader, field, "")
    reader.set_unusable_password()
    reader.save()
    ReaderProfile.objects.filter(user=reader).delete()
    return reader


def _free_pseudonym(reader: AbstractBaseUser) -> str:
    """``retired-<id>``, with a suffix in the unlikely case that name is taken."""
    users = type(reader).objects.exclude(pk=reader.pk)
    name, suffix = f"retired-{reader.pk}", 1
    while users.filter(**{reader.USERNAME_FIELD: name}).exists():
        suffix += 1
        name = f"retired-{reader.pk}-{suffix}"
    return name
