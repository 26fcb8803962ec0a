"""Django admin: seed a study from a form, open it, and no editing of frozen cases."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessment.models import Study
from tests.assessment.conftest import seed

pytestmark = pytest.mark.django_db

SEED_FORM = {
    "name": "from-admin", "title": "Pilot", "design": "paired", "n": "6",
    "real_origins": "test-real", "real_folds": "9", "synthetic_origins": "test-gen",
    "readers": "alice", "seed": "2", "practice": "1", "unaware": "0", "layout": "3x4+R",
    "synthetic_share": "0.5", "ask_confidence": "on", "show_progress": "on",
    "repeat_share": "0", "repeat_min_distance": "5", "attention_checks": "1",
    "equivalence_low": "0.45", "equivalence_high": "0.55", "assignment_mode": "all",
    "anchor_count": "0", "block_count": "1",
}  # fmt: skip


def test_admin_seed_page_creates_a_study(small_store, reader_a, client_admin):
    url = reverse("admin:assessment_seed")
    assert client_admin.get(url).status_code == 200
    response = client_admin.post(url, SEED_FORM)
    study = Study.objects.get(name="from-admin")
    assert response.url == reverse("admin:assessment_study_change", args=[study.pk])
    assert study.cases.count() == 6 + 1 + 1 and study.status == "draft"
    assert study.enrolments.get().reader == reader_a
    assert study.equivalence_margin == (0.45, 0.55)


def test_admin_seed_errors_are_shown_not_500(small_store, reader_a, client_admin):
    response = client_admin.post(reverse("admin:assessment_seed"), {**SEED_FORM, "n": "50"})
    assert response.status_code == 200
    assert response.content.decode().count("only 12 real/synthetic pairs") == 1
    response = client_admin.post(
        reverse("admin:assessment_seed"), {**SEED_FORM, "real_folds": "nine"}
    )
    assert "nine is not one of the available choices" in response.content.decode()
    assert not Study.objects.exists()


def test_admin_open_action_freezes_and_frozen_study_is_read_only(small_store, client_admin):
    study = seed(readers=(), open_now=False)
    changelist = reverse("admin:assessment_study_changelist")
    client_admin.post(changelist, {"action": "open_studies", "_selected_action": [study.pk]})
    study.refresh_from_db()
    assert study.status == "open" and study.snapshot is not None
    page = client_admin.get(reverse("admin:assessment_study_change", args=[study.pk]))
    html = page.content.decode()
    assert 'name="design"' not in html and 'name="seed"' not in html  # read-only fields
    assert 'name="cases-0-real_ecg"' not in html  # inline has no editable rows
    response = client_admin.post(
        reverse("admin:assessment_case_changelist"),
        {"action": "exclude_cases", "_selected_action": [study.cases.first().pk]},
        follow=True,
    )
    assert "cases are frozen" in response.content.decode()
    assert study.cases.count() == 8


def test_staff_pages_need_staff(paired_study, client, client_a, client_admin):
    url = reverse("assessment:staff-study-detail", args=[paired_study.pk])
    assert client_a.get(url).status_code == 404  # readers never learn staff pages exist
    assert client.get(url).status_code == 302  # anonymous: to the login page
    page = client_admin.get(url)
    assert page.status_code == 200 and 'id="reader-progress"' in page.content.decode()
    assert client_a.get(reverse("admin:assessment_seed")).status_code == 302
    close = reverse("assessment:staff-study-close", args=[paired_study.pk])
    closed = client_admin.post(close, {"confirm": "yes"})
    assert closed.status_code == 302
    paired_study.refresh_from_db()
    assert paired_study.status == "closed"


def test_draft_study_settings_cannot_be_edited_in_the_admin(client_admin, small_store, reader_a):
    study = seed(readers=("alice",), open_now=False)
    url = reverse("admin:assessment_study_change", args=[study.pk])
    form = client_admin.get(url).context["adminform"].form
    assert set(form.fields) == {"name", "title"}
    response = client_admin.post(
        url,
        {"name": "renamed", "title": "New title", "design": "single", "seed": "-1",
         "equivalence_low": "0.9", "equivalence_high": "0.1", "repeat_share": "5",
         "cases-TOTAL_FORMS": "0", "cases-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    stored = type(study).objects.get(pk=study.pk)
    assert (stored.name, stored.title) == ("renamed", "New title")
    assert (stored.design, stored.seed, stored.equivalence_margin) == (
        study.design,
        study.seed,
        study.equivalence_margin,
    )
    assert stored.repeat_share == study.repeat_share
