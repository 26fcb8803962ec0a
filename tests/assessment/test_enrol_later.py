"""Readers added after seeding: from the staff page, the API and the command."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from assessment.models import Enrolment
from tests.assessment.conftest import seed


@pytest.fixture
def carol(db):
    return get_user_model().objects.create_user("carol")


def enrol_url(study) -> str:
    return reverse("assessment:staff-study-enrol", args=[study.pk])


def notes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def items_of(study, username: str) -> int:
    return Enrolment.objects.get(study=study, reader__username=username).assignments.count()


def test_the_staff_page_enrols_a_reader_in_an_open_study_with_items_at_once(
    client_admin, paired_study, carol
):
    page = client_admin.get(reverse("assessment:staff-study-detail", args=[paired_study.pk]))
    assert f'action="{enrol_url(paired_study)}"' in page.content.decode()
    response = client_admin.post(enrol_url(paired_study), {"readers": " carol, alice "})
    assert response.status_code == 302
    assert notes(response) == ["Enrolled carol in 's1' (their items are ready)."]
    assert items_of(paired_study, "carol") == items_of(paired_study, "alice") == 8
    paired_study.refresh_from_db()
    carol_enrolment = Enrolment.objects.get(study=paired_study, reader=carol)
    assert paired_study.snapshot["readers"][-1] == ["carol", 2, carol_enrolment.order_seed]
    assert [row[0] for row in paired_study.snapshot["readers"]] == ["alice", "bob", "carol"]
    again = client_admin.post(enrol_url(paired_study), {"readers": "carol"})
    assert notes(again)[-1] == "Those readers were already enrolled; nothing changed."
    assert paired_study.enrolments.count() == 3


def test_a_draft_study_builds_the_new_readers_items_at_opening(
    client_admin, small_store, reader_a, carol
):
    study = seed(readers=("alice",), open_now=False)
    response = client_admin.post(enrol_url(study), {"readers": "carol"})
    assert notes(response) == ["Enrolled carol in 's1' (items at opening)."]
    assert items_of(study, "carol") == 0


@pytest.mark.parametrize(
    ("readers", "message"),
    [
        ("", "Name at least one reader to enrol"),
        (" , ", "Name at least one reader to enrol"),
        ("carol,zed", "unknown reader(s): zed"),
    ],
)
def test_bad_requests_are_refused_naming_the_problem_and_enrol_no_one(
    client_admin, paired_study, carol, readers, message
):
    response = client_admin.post(enrol_url(paired_study), {"readers": readers})
    assert response.status_code == 302
    [note] = notes(response)
    assert message in note
    assert paired_study.enrolments.count() == 2


def test_a_closed_study_has_no_form_and_refuses_enrolment(client_admin, paired_study, carol):
    client_admin.post(
        reverse("assessment:staff-study-close", args=[paired_study.pk]), {"confirm": "yes"}
    )
    page = client_admin.get(reverse("assessment:staff-study-detail", args=[paired_study.pk]))
    assert 'id="enrol-form"' not in page.content.decode()
    response = client_admin.post(enrol_url(paired_study), {"readers": "carol"})
    assert "study 's1' is closed" in notes(response)[0]
    assert paired_study.enrolments.count() == 2


def test_readers_and_get_requests_cannot_enrol(client_a, client_admin, paired_study, carol):
    assert client_a.post(enrol_url(paired_study), {"readers": "carol"}).status_code == 404
    assert client_admin.get(enrol_url(paired_study)).status_code == 405
    assert paired_study.enrolments.count() == 2


def test_the_api_enrols_readers_and_refuses_bad_bodies(admin, reader_a, paired_study, carol):
    staff = APIClient()
    staff.force_authenticate(admin)
    url = f"/api/studies/{paired_study.pk}/enrol/"
    ok = staff.post(url, {"readers": ["carol", "alice"]}, format="json")
    assert ok.status_code == 200 and ok.json()["study"]["id"] == paired_study.pk
    assert (ok.json()["enrolled"], ok.json()["already_enrolled"]) == (["carol"], ["alice"])
    assert items_of(paired_study, "carol") == 8
    unknown = staff.post(url, {"readers": ["zed"]}, format="json")
    assert unknown.status_code == 400 and "unknown reader(s): zed" in unknown.json()["detail"]
    empty = staff.post(url, {"readers": []}, format="json")
    assert empty.status_code == 400 and "readers" in empty.json()
    reader = APIClient()
    reader.force_authenticate(reader_a)
    assert reader.post(url, {"readers": ["carol"]}, format="json").status_code == 403
    assert staff.post("/api/studies/999999/enrol/", {"readers": ["carol"]}).status_code == 404


def test_the_command_enrols_by_study_name_and_says_who_was_already_in(paired_study, carol):
    out = io.StringIO()
    call_command("enrol_readers", "s1", "--readers", "carol,alice", stdout=out)
    assert out.getvalue().splitlines() == [
        "enrolled carol in 's1' (open)",
        "already enrolled: alice",
    ]
    with pytest.raises(CommandError, match="cannot enrol in study 's1': unknown reader"):
        call_command("enrol_readers", str(paired_study.pk), "--readers", "zed")
    with pytest.raises(CommandError, match="--readers names no reader"):
        call_command("enrol_readers", "s1", "--readers", ",")
