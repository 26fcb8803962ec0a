"""Research data is append-only: answer history, replays, protected judgments, retired
readers and the profile frozen at consent."""

from __future__ import annotations

import io
import uuid

import pandas as pd
import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from assessment.analysis_frames import judgments_frame
from assessment.errors import StudyStateError
from assessment.models import Enrolment, Judgment, JudgmentRevision, ReaderProfile, Study
from assessment.reporting import study_export
from assessment.services import reader_retire
from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.assessment.conftest import seed
from tests.assessment.test_judgment_submit import first_item, submit

pytestmark = pytest.mark.django_db


def test_every_submit_is_a_revision_and_a_late_replay_changes_nothing(small_store, reader_a):
    study = seed(readers=("alice",), settings={"allow_answer_changes": True})
    item = first_item(reader_a)
    first_token, second_token = uuid.uuid4(), uuid.uuid4()
    submit(reader_a, item, first_token, answer="top", confidence=2, active_time_ms=900)
    submit(reader_a, item, second_token, answer="bottom", confidence=5, active_time_ms=300)

    late = submit(reader_a, item, first_token, answer="top", confidence=2)

    assert not late.created
    stored = Judgment.objects.get()
    assert (stored.answer, stored.confidence, stored.revisions) == ("bottom", 5, 1)
    history = list(stored.history.order_by("number"))
    assert [(r.number, r.answer, r.confidence) for r in history] == [
        (0, "top", 2),
        (1, "bottom", 5),
    ]
    assert [r.client_token for r in history] == [first_token, second_token]
    assert [r.active_time_ms for r in history] == [900, 300]
    exported = pd.read_csv(io.StringIO(study_export(study, "history").content))
    assert list(exported["revision"]) == [0, 1]
    assert list(exported["answer"]) == ["left", "right"]
    assert list(exported["client_token"]) == [str(first_token), str(second_token)]


def test_deleting_a_reader_with_judgments_is_refused(small_store, reader_a, reader_b):
    study = seed()
    answer_all(study, alice_right_bob_alternates)
    stored = Judgment.objects.count()
    with pytest.raises(ProtectedError):
        reader_a.delete()
    with pytest.raises(ProtectedError):
        Study.objects.get(pk=study.pk).delete()
    assert Judgment.objects.count() == JudgmentRevision.objects.count() == stored


def test_user_admin_delete_page_names_the_protected_judgments(
    client_admin, small_store, reader_a, reader_b
):
    answer_all(seed(), alice_right_bob_alternates)
    url = reverse("admin:auth_user_delete", args=[reader_a.pk])
    response = client_admin.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "<title>Cannot delete user" in response.content.decode()
    assert Enrolment.objects.filter(reader=reader_a).exists()


def test_retired_reader_keeps_judgments_under_a_pseudonym(small_store, reader_a, reader_b):
    study = seed()
    answer_all(study, alice_right_bob_alternates)
    before = judgments_frame(study)
    reader_retire(reader=reader_a)
    reader_a.refresh_from_db()
    assert not reader_a.is_active and not reader_a.has_usable_password()
    assert reader_a.username == f"retired-{reader_a.pk}" and reader_a.email == ""
    assert not ReaderProfile.objects.filter(user=reader_a).exists()
    after = judgments_frame(study)
    renamed = before["reader"].replace("alice", f"retired-{reader_a.pk}")
    assert list(after["reader"]) == list(renamed)
    assert list(after["reader_experience_years"]) == list(before["reader_experience_years"])


def test_a_later_profile_change_does_not_restratify_the_study(small_store, reader_a, reader_b):
    study = seed()
    answer_all(study, alice_right_bob_alternates)
    before = judgments_frame(study)
    # The reader edits their profile later (e.g. at consent to another study).
    ReaderProfile.objects.filter(user=reader_a).update(
        specialty="general practice", years_experience=40
    )
    assert ReaderProfile.objects.get(user=reader_a).years_experience == 40
    after = judgments_frame(study)
    pd.testing.assert_series_equal(
        after["reader_experience_years"], before["reader_experience_years"]
    )
    pd.testing.assert_series_equal(after["reader_specialty"], before["reader_specialty"])


def test_staff_are_not_retired_and_a_taken_pseudonym_is_avoided(
    small_store, admin, reader_a, reader_b
):
    with pytest.raises(StudyStateError, match="staff"):
        reader_retire(reader=admin)
    reader_b.username = f"retired-{reader_a.pk}"
    reader_b.save()
    reader_retire(reader=reader_a)
    reader_a.refresh_from_db()
    assert reader_a.username == f"retired-{reader_a.pk}-2"


def test_the_cached_dashboard_summary_follows_a_retired_readers_new_name(
    client_admin, small_store, reader_a, reader_b
):
    study = seed()
    answer_all(study, alice_right_bob_alternates)
    url = reverse("reports:dashboard", args=[study.pk])
    assert (
        "alice"
        in client_admin.get(url).context["dashboard"].summary["designs"]["paired"]["by_reader"]
    )
    reader_retire(reader=reader_a)
    readers = client_admin.get(url).context["dashboard"].summary["designs"]["paired"]["by_reader"]
    assert "alice" not in readers and f"retired-{reader_a.pk}" in readers
