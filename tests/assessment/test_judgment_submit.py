"""judgment_submit: idempotent, transactional, one judgment per assignment and round."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction

from assessment.errors import AlreadyAnsweredError, AnswerError, StudyStateError
from assessment.models import Assignment, Enrolment, Judgment
from assessment.services import judgment_submit, study_close
from tests.assessment.conftest import ready, seed

pytestmark = pytest.mark.django_db


def first_item(reader) -> Assignment:
    enrolment = ready(Enrolment.objects.get(reader=reader))
    return enrolment.assignments.order_by("position").first()


def submit(reader, item: Assignment, token=None, answer="top", confidence=4, **extra):
    return judgment_submit(
        reader=reader,
        item_token=item.token,
        client_token=token or uuid.uuid4(),
        answer=answer,
        confidence=confidence,
        **extra,
    )


def test_double_submit_stores_one_judgment(paired_study, reader_a):
    item = first_item(reader_a)
    token = uuid.uuid4()
    first = submit(reader_a, item, token, active_time_ms=1500, answer_changes=2)
    again = submit(reader_a, item, token, answer="bottom", confidence=1)
    assert first.created and not again.created
    assert again.judgment.pk == first.judgment.pk
    stored = Judgment.objects.get()
    assert (stored.answer, stored.confidence, stored.active_time_ms) == ("top", 4, 1500)
    assert stored.answer_changes == 2 and stored.round == 1


def test_second_different_submit_is_rejected_when_changes_not_allowed(paired_study, reader_a):
    item = first_item(reader_a)
    submit(reader_a, item)
    with pytest.raises(AlreadyAnsweredError):
        submit(reader_a, item, answer="bottom")
    assert Judgment.objects.get().answer == "top"


def test_change_is_stored_in_place_when_allowed(small_store, reader_a):
    seed(readers=("alice",), settings={"allow_answer_changes": True})
    item = first_item(reader_a)
    submit(reader_a, item, active_time_ms=1000)
    changed = submit(reader_a, item, answer="bottom", confidence=6, active_time_ms=500)
    stored = Judgment.objects.get()
    assert not changed.created
    assert (stored.answer, stored.confidence, stored.revisions) == ("bottom", 6, 1)
    assert stored.active_time_ms == 1500


def test_other_reader_cannot_answer_my_item(paired_study, reader_a, reader_b):
    item = first_item(reader_a)
    ready(Enrolment.objects.get(reader=reader_b))
    with pytest.raises(Assignment.DoesNotExist):
        submit(reader_b, item)
    assert not Judgment.objects.exists()


def test_items_are_answered_in_order(paired_study, reader_a):
    first_item(reader_a)
    later = Assignment.objects.filter(enrolment__reader=reader_a).order_by("position")[3]
    with pytest.raises(StudyStateError, match="not the next one"):
        submit(reader_a, later)


def test_consent_comes_first(paired_study, reader_a):
    item = Assignment.objects.filter(enrolment__reader=reader_a).order_by("position").first()
    with pytest.raises(StudyStateError):
        submit(reader_a, item)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"answer": "real"}, "answer"),
        ({"confidence": None}, "confidence"),
        ({"confidence": 7}, "confidence"),
        ({"label_consistent": True}, "label_consistent"),
        ({"reason": "looks odd"}, "reason"),
        ({"quality": 3}, "quality"),
    ],
)
def test_invalid_answers_name_the_field(paired_study, reader_a, kwargs, field):
    item = first_item(reader_a)
    with pytest.raises(AnswerError) as error:
        submit(reader_a, item, **kwargs)
    assert error.value.field == field
    assert not Judgment.objects.exists()


def test_client_token_of_another_item_is_refused(paired_study, reader_a):
    item = first_item(reader_a)
    token = uuid.uuid4()
    submit(reader_a, item, token)
    second = Assignment.objects.filter(enrolment__reader=reader_a).order_by("position")[1]
    with pytest.raises(AnswerError, match="already used"):
        submit(reader_a, second, token)


def test_database_refuses_a_second_judgment_for_the_same_round(paired_study, reader_a):
    item = first_item(reader_a)
    judgment = submit(reader_a, item).judgment
    duplicate = Judgment(
        assignment=item, round=1, client_token=uuid.uuid4(), answer="bottom",
        shown_at=judgment.shown_at, answered_at=judgment.answered_at,
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_closed_study_takes_no_answers(paired_study, reader_a):
    item = first_item(reader_a)
    study_close(study=paired_study)
    with pytest.raises(StudyStateError, match="not accepting"):
        submit(reader_a, item)


def test_the_last_answer_completes_the_list_and_the_done_page_writes_nothing(
    paired_study, reader_a, client_a
):
    from tests.assessment.answering import alice_right_bob_alternates, answer_all

    answer_all(paired_study, alice_right_bob_alternates, limit={"bob": 0})
    enrolment = Enrolment.objects.get(reader=reader_a)
    assert enrolment.completed_at is not None
    other = Enrolment.objects.exclude(reader=reader_a).get()
    assert other.completed_at is None
    stamp = enrolment.completed_at
    assert client_a.get(f"/r/{enrolment.token}/done/").status_code == 200
    enrolment.refresh_from_db()
    assert enrolment.completed_at == stamp
