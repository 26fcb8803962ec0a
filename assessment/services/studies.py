"""Study lifecycle: enrol readers, open (freeze and build assignments), close, drop cases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.forms.models import model_to_dict
from django.utils import timezone

from assessment.errors import (
    AssessmentError,
    BlindingLeakError,
    StudyFrozenError,
    StudySeedError,
    StudyStateError,
)
from assessment.models import Assignment, Case, Enrolment, Study
from assessment.planning.ordering import OrderingError
from assessment.selectors import ecg_ids_of
from assessment.services.audit import audited_for, blinding_audit
from assessment.services.panels import study_ecg_ids
from assessment.services.schedule import assignments_build
from generator.models import ECG

SNAPSHOT_VERSION = 2
_NOT_SETTINGS = {"id", "name", "status", "seeding", "snapshot", "created_at", "opened_at",
                 "closed_at", "blinding_audit", "panel_key", "panel_length"}  # fmt: skip


# Cases that show a reader an ECG's source: practice feedback says it, and an attention
# check sets a real ECG beside an obviously artificial trace.
REVEALING_KINDS = (Case.Kind.PRACTICE, Case.Kind.ATTENTION)


def ecgs_seen_by(
    usernames: Sequence[str], *, other_than: Study | None = None, revealed: bool | None = None
) -> set[int]:
    """ids of the ECGs in the cases of every study (but ``other_than``) these readers
    are enrolled in: shown, or due to be shown, to them. ``revealed`` True keeps the cases
    that show the source (:data:`REVEALING_KINDS`), False those judged blind."""
    studies = Study.objects.filter(enrolments__reader__username__in=usernames)
    if other_than is not None:
        studies = studies.exclude(pk=other_than.pk)
    return _ecg_ids(Case.objects.filter(study__in=studies), revealed)


def _ecg_ids(cases: QuerySet[Case], revealed: bool | None) -> set[int]:
    """ids of the ECGs of ``cases``: all, those shown with their source, or those blind."""
    if revealed is not None:
        revealing = Q(kind__in=REVEALING_KINDS)
        cases = cases.filter(revealing if revealed else ~revealing)
    return ecg_ids_of(cases)


@transaction.atomic
def study_enrol(*, study: Study, usernames: Sequence[str]) -> list[Enrolment]:
    """Enrol readers by username; in an open study their assignments are built at once.

    A reader who was shown one of the study's ECGs in another study is refused, unless
    the study allows shared ECGs. Even then no ECG is shown with its source (practice,
    attention checks) to a reader in one study and judged blind by them in another.
    """
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.status == Study.Status.CLOSED:
        raise StudyStateError(f"study '{study.name}' is closed")
    # Locking the readers serialises two enrolments of one reader in different studies,
    # so both cannot pass the shared-ECG check at once.
    readers = get_user_model().objects.select_for_update().filter(username__in=usernames)
    users = {u.username: u for u in readers.order_by("pk")}
    missing = sorted(set(usernames) - set(users))
    if missing:
        raise StudySeedError(f"unknown reader(s): {', '.join(missing)}")
    already = set(study.enrolments.values_list("reader__username", flat=True))
    if study.allow_shared_ecgs:
        _refuse_revealed_ecgs(study, sorted(set(usernames) - already))
    else:
        _refuse_shared_ecgs(study, sorted(set(usernames) - already))
    highest = study.enrolments.aggregate(m=Max("reader_index"))["m"]
    next_index = 0 if highest is None else highest + 1
    created = []
    for username in sorted(set(usernames) - already):
        created.append(
            Enrolment.objects.create(
                study=study,
                reader=users[username],
                reader_index=next_index,
            )
        )
        next_index += 1
    if study.status == Study.Status.OPEN:
        cases = list(study.cases.all())
        for enrolment in created:
            _build(enrolment, cases)
        # The frozen record names every reader with the seed of their order, late ones too.
        study.snapshot["readers"] = [
            *study.snapshot.get("readers", []),
            *([e.reader.get_username(), e.reader_index, e.order_seed] for e in created),
        ]
        study.save(update_fields=["snapshot"])
    return created


def study_open(*, study: Study, override_reason: str = "", opened_by: str = "") -> Study:
    """Run the blinding audit, then freeze a draft study (snapshot of its settings, cases
    and audit) and build every reader's assignments. A frozen study's cases and settings
    never change afterwards.

    A study whose audit finds a leaking channel is refused (:class:`BlindingLeakError`
    naming the channels, the audit stored on the study) unless staff give an
    ``override_reason``, which is recorded in the snapshot with ``opened_by``.
    """
    study = Study.objects.get(pk=study.pk)
    _refuse_unless_openable(study)
    _refuse_upsampled(study)
    audit = blinding_audit(study=study)
    leaking = audit["leaking_channels"]
    if leaking and not override_reason.strip():
        raise BlindingLeakError(
            f"study '{study.name}' fails the blinding audit: {', '.join(leaking)} "
            f"tell real from synthetic ECGs (AUC above chance, confirmed by a permutation "
            f"test); fix the study, or open it with a recorded reason",
            audit,
        )
    return _study_open_frozen(study, audit, override_reason.strip(), opened_by)


@transaction.atomic
def _study_open_frozen(study: Study, audit: dict, override_reason: str, opened_by: str) -> Study:
    study = Study.objects.select_for_update().get(pk=study.pk)
    _refuse_unless_openable(study)
    if audit["audited_for"] != audited_for(study):
        raise StudyStateError(
            f"study '{study.name}' changed while its blinding audit ran; open it again"
        )
    cases = list(study.cases.all())
    study.status = Study.Status.OPEN
    study.opened_at = timezone.now()
    study.snapshot = _snapshot(study, cases)
    study.snapshot["blinding_audit"] = audit
    study.snapshot["opened_despite_audit"] = (
        {"reason": override_reason, "by": opened_by, "channels": audit["leaking_channels"]}
        if audit["leaking_channels"]
        else None
    )
    study.save(update_fields=["status", "opened_at", "snapshot"])
    for enrolment in study.enrolments.select_related("study"):
        _build(enrolment, cases)
    return study


def _refuse_unless_openable(study: Study) -> None:
    if study.is_frozen:
        raise StudyFrozenError(f"study '{study.name}' is already {study.status}")
    if not study.cases.filter(kind=Case.Kind.MAIN).exists():
        raise StudyStateError(f"study '{study.name}' has no main cases")


def refuse_upsampled(
    origin_rates: Sequence[tuple[str, float]],
    rate: float,
    *,
    what: str,
    error: type[AssessmentError],
) -> None:
    """Raise ``error`` when any (origin, sampling rate) lies below the study ``rate``:
    upsampled ECGs have no content above their own Nyquist frequency, a tell."""
    slow = Counter(origin for origin, fs in origin_rates if fs + 1e-9 < rate)
    if slow:
        lowest = min(fs for _, fs in origin_rates)
        named = ", ".join(f"{origin} ({count})" for origin, count in sorted(slow.items()))
        raise error(
            f"{what} sampled below the study rate of {rate:g} Hz: {named}; upsampling them "
            f"would leave no content above their Nyquist frequency, which tells them apart. "
            f"Harmonise at {lowest:g} Hz, narrow the pool, or set allow_upsampling"
        )


def _refuse_upsampled(study: Study) -> None:
    """Seeding checks this too; settings edited since then must not slip past it."""
    try:
        rate = study.harmonisation_spec().sampling_rate
    except ValueError as exc:
        raise StudyStateError(f"study '{study.name}': {exc}") from exc
    if study.allow_upsampling:
        return
    shown = ECG.objects.filter(pk__in=study_ecg_ids(study))
    refuse_upsampled(
        list(shown.values_list("origin", "sampling_rate")),
        rate,
        what=f"study '{study.name}' shows ECGs",
        error=StudyStateError,
    )


def _refuse_shared_ecgs(study: Study, usernames: Sequence[str]) -> None:
    mine = set(study_ecg_ids(study))
    for username in usernames:
        shared = mine & ecgs_seen_by([username], other_than=study)
        if shared:
            raise StudySeedError(
                f"reader {username} was shown {len(shared)} of this study's ECGs in another "
                f"study; enrol someone else, or allow shared ECGs for this study"
            )


def _refuse_revealed_ecgs(study: Study, usernames: Sequence[str]) -> None:
    shown_here = _ecg_ids(study.cases.all(), revealed=True)
    blind_here = _ecg_ids(study.cases.all(), revealed=False)
    for username in usernames:
        shown_elsewhere = ecgs_seen_by([username], other_than=study, revealed=True)
        blind_elsewhere = ecgs_seen_by([username], other_than=study, revealed=False)
        clash = (blind_here & shown_elsewhere) | (shown_here & blind_elsewhere)
        if clash:
            raise StudySeedError(
                f"reader {username} would judge {len(clash)} ECG(s) blind in one study that "
                f"another shows with their source (practice feedback, attention checks; "
                f"shared ECGs never include those); enrol someone else"
            )


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
