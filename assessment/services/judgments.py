"""judgment_submit: store a reader's answer exactly once, whatever the double clicks and tabs.

Every accepted submit is kept as a ``JudgmentRevision`` (append-only); the ``Judgment`` row
holds the latest state the analysis reads. A replay of any earlier submit's client token
returns the stored judgment without changing anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessment.answers import Answer, validate_answer
from assessment.errors import AlreadyAnsweredError, AnswerError, StudyStateError
from assessment.models import (
    MAX_ACTIVE_TIME_MS,
    MAX_ANSWER_CHANGES,
    MAX_COUNTER,
    MAX_REVISIONS,
    Assignment,
    Judgment,
    JudgmentRevision,
    Study,
)
from assessment.selectors import answer_rules, next_step
from assessment.services.readers import enrolment_complete


@dataclass(frozen=True)
class SubmitResult:
    """The stored judgment and whether this call created it (False for a replay)."""

    judgment: Judgment
    created: bool


@transaction.atomic
def judgment_submit(
    *,
    reader: AbstractBaseUser,
    item_token: str,
    client_token: uuid.UUID,
    answer: str | None,
    confidence: int | None = None,
    label_consistent: bool | None = None,
    quality: int | None = None,
    reason: str | None = None,
    active_time_ms: int | None = None,
    answer_changes: int = 0,
) -> SubmitResult:
    """Store the reader's judgment on the item behind ``item_token``.

    The assignment row is locked (SELECT ... FOR UPDATE) so concurrent submits queue up.
    A replay of the same ``client_token`` returns the stored judgment unchanged; a
    different submit for an answered item changes it only where the study allows that,
    else raises :class:`AlreadyAnsweredError`. Raises ``Assignment.DoesNotExist`` when the
    item is not the reader's.
    """
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("enrolment__study", "case")
        .get(token=item_token, enrolment__reader=reader)
    )
    replay = (
        JudgmentRevision.objects.filter(client_token=client_token)
        .select_related("judgment")
        .first()
    )
    if replay is not None:
        if replay.judgment.assignment_id != assignment.pk:
            raise AnswerError("client_token", "this token was already used for another item")
        return SubmitResult(replay.judgment, created=False)
    study = assignment.enrolment.study
    if study.status != Study.Status.OPEN:
        raise StudyStateError("this study is not accepting answers")
    if active_time_ms is not None and not 0 <= active_time_ms <= MAX_ACTIVE_TIME_MS:
        raise AnswerError("active_time_ms", f"must be within 0..{MAX_ACTIVE_TIME_MS}")
    if not 0 <= answer_changes <= MAX_ANSWER_CHANGES:
        raise AnswerError("answer_changes", f"must be within 0..{MAX_ANSWER_CHANGES}")
    valid = validate_answer(
        answer_rules(assignment),
        answer=answer,
        confidence=confidence,
        label_consistent=label_consistent,
        quality=quality,
        reason=reason,
    )
    existing = Judgment.objects.filter(assignment=assignment, round=assignment.round).first()
    # Never before the item was shown, even if the host that stamped shown_at runs ahead.
    now = max(timezone.now(), assignment.shown_at or timezone.now())
    if existing is not None:
        if not (study.allow_answer_changes and assignment.phase == Assignment.Phase.MAIN):
            raise AlreadyAnsweredError("this item is already answered")
        if existing.revisions >= MAX_REVISIONS:
            raise AlreadyAnsweredError(f"this answer was already changed {MAX_REVISIONS} times")
        _apply(existing, valid)
        existing.answered_at = now
        existing.revisions += 1
        existing.answer_changes = min(existing.answer_changes + answer_changes, MAX_COUNTER)
        existing.active_time_ms = _add(existing.active_time_ms, active_time_ms)
        _record(existing, existing.revisions, client_token, valid, now, active_time_ms,
                answer_changes)  # fmt: skip
        existing.save()
        return SubmitResult(existing, created=False)
    step = next_step(assignment.enrolment)
    if step.assignment is None or step.assignment.pk != assignment.pk:
        raise StudyStateError("this item is not the next one in your list")
    judgment = Judgment(
        assignment=assignment,
        round=assignment.round,
        client_token=client_token,
        shown_at=assignment.shown_at or now,
        answered_at=now,
        active_time_ms=active_time_ms,
        answer_changes=answer_changes,
    )
    _apply(judgment, valid)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            judgment.save()
            _record(judgment, 0, client_token, valid, now, active_time_ms, answer_changes)
    except IntegrityError as exc:  # the same client token raced in for another item
        raise AnswerError("client_token", "this token was already used for another item") from exc
    enrolment = assignment.enrolment
    if not enrolment.assignments.filter(judgments__isnull=True).exists():
        enrolment_complete(enrolment=enrolment)  # the last answer completes the list
    return SubmitResult(judgment, created=True)


def _record(
    judgment: Judgment,
    number: int,
    client_token: uuid.UUID,
    valid: Answer,
    answered_at,
    active_time_ms: int | None,
    answer_changes: int,
) -> None:
    """Append this submit to the judgment's history; a token already used is an AnswerError."""
    try:
        with transaction.atomic():
            JudgmentRevision.objects.create(
                judgment=judgment,
                number=number,
                client_token=client_token,
                **_answer_fields(valid),
                answered_at=answered_at,
                active_time_ms=active_time_ms,
                answer_changes=answer_changes,
            )
    except IntegrityError as exc:
        raise AnswerError("client_token", "this token was already used for another item") from exc


def _answer_fields(valid: Answer) -> dict:
    """The answer's fields, as Judgment and JudgmentRevision both store them."""
    return {
        "answer": valid.answer,
        "confidence": valid.confidence,
        "label_consistent": valid.label_consistent,
        "quality": valid.quality,
        "reason": valid.reason,
    }


def _apply(judgment: Judgment, valid: Answer) -> None:
    for field, value in _answer_fields(valid).items():
        setattr(judgment, field, value)


def _add(a: int | None, b: int | None) -> int | None:
    """Sum of two optional counters, kept within the column's range."""
    if a is None and b is None:
        return None
    return min((a or 0) + (b or 0), MAX_COUNTER)
