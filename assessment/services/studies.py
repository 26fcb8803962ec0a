"""Study lifecycle: enrol readers, open (freeze and build assignments), close, drop cases."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.forms.models import model_to_dict
from django.utils import timezone

from assessment.errors import StudyFrozenError, StudySeedError, StudyStateError
from assessment.models import Assignment, Case, Enrolment, Study
from assessment.planning.ordering import OrderingError, reader_seed
from assessment.services.schedule import assignments_build

SNAPSHOT_VERSION = 1
_NOT_SETTINGS = {"id", "name", "status", "seeding", "snapshot", "created_at", "opened_at",
                 "closed_at"}  # fmt: skip


@transaction.atomic
def study_enrol(*, study: Study, usernames: Sequence[str]) -> list[Enrolment]:
    """Enrol readers by username; in an open study their assignments are built at once."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.status == Study.Status.CLOSED:
        raise StudyStateError(f"study '{study.name}' is closed")
    users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
    missing = sorted(set(usernames) - set(users))
    if missing:
        raise StudySeedError(f"unknown reader(s): {', '.join(missing)}")
    already = set(study.enrolments.values_list("reader__username", flat=True))
    next_index = (study.enrolments.aggregate(m=Max("reader_index"))["m"] or -1) + 1
    created = []
    for username in sorted(set(usernames) - already):
        created.append(
            Enrolment.objects.create(
                study=study,
                reader=users[username],
                reader_index=next_index,
                order_seed=reader_seed(study.seed, next_index),
            )
        )
        next_index += 1
    if study.status == Study.Status.OPEN:
        cases = list(study.cases.all())
        for enrolment in created:
            _build(enrolment, cases)
    return created


@transaction.atomic
def study_open(*, study: Study) -> Study:
    """Freeze a draft study (snapshot of its settings and cases) and build every reader's
    assignments. A frozen study's cases and settings never change afterwards."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.is_frozen:
        raise StudyFrozenError(f"study '{study.name}' is already {study.status}")
    cases = list(study.cases.all())
    if not any(case.kind == Case.Kind.MAIN for case in cases):
        raise StudyStateError(f"study '{study.name}' has no main cases")
    study.status = Study.Status.OPEN
    study.opened_at = timezone.now()
    study.snapshot = _snapshot(study, cases)
    study.save(update_fields=["status", "opened_at", "snapshot"])
    for enrolment in study.enrolments.select_related("study"):
        _build(enrolment, cases)
    return study


@transaction.atomic
def study_close(*, study: Study) -> Study:
    """Stop accepting judgments."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.status != Study.Status.OPEN:
        raise StudyStateError(
            f"only an open study can be closed ('{study.name}' is {study.status})"
        )
    study.status = Study.Status.CLOSED
    study.closed_at = timezone.now()
    study.save(update_fields=["status", "closed_at"])
    return study


@transaction.atomic
def case_exclude(*, case: Case) -> None:
    """Drop a case from a draft study; refused once the study is frozen."""
    study = Study.objects.select_for_update().get(pk=case.study_id)
    if study.is_frozen:
        raise StudyFrozenError(f"study '{study.name}' is {study.status}; its cases are frozen")
    case.delete()


def _build(enrolment: Enrolment, cases: list[Case]) -> None:
    try:
        Assignment.objects.bulk_create(assignments_build(enrolment, cases))
    except OrderingError as exc:
        raise StudyStateError(f"{enrolment.reader}: {exc}") from exc


def _snapshot(study: Study, cases: list[Case]) -> dict:
    settings = {k: v for k, v in model_to_dict(study).items() if k not in _NOT_SETTINGS}
    return {
        "version": SNAPSHOT_VERSION,
        "opened_at": study.opened_at.isoformat(),
        "settings": settings,
        "cases": [
            {
                "id": c.pk,
                "index": c.index,
                "kind": c.kind,
                "real_ecg": c.real_ecg_id,
                "synthetic_ecg": c.synthetic_ecg_id,
                "match_level": c.match_level,
                "stratum": c.stratum,
                "label_set": c.label_set,
                "is_anchor": c.is_anchor,
                "block": c.block,
            }
            for c in cases
        ],
        "readers": list(
            study.enrolments.order_by("reader_index").values_list(
                "reader__username", "reader_index", "order_seed"
            )
        ),
    }
