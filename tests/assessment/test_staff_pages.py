"""Staff pages: landing after login, staff-only access, per-reader progress on main items,
the seeding summary as a table, the confirmation before closing, and the seed form (lists
with counts, grouped settings, errors shown once, and a preview equal to what seeding
stores)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from assessment.forms import StudySeedForm
from assessment.models import Assignment, Case, Study
from assessment.selectors import study_reader_progress
from assessment.services import EcgPool, study_seed
from assessment.services.seeding import study_seed_preview
from generator.models import ECG
from tests.assessment.answering import answer_all
from tests.assessment.conftest import seed
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

SEED_URL = "admin:assessment_seed"
# The seed form as a browser posts it (checkbox lists repeat their name).
SEED_FORM = {
    "name": "previewed", "title": "Pilot", "design": "paired", "n": "6",
    "real_origins": ["test-real"], "synthetic_origins": ["test-gen"], "readers": ["alice"],
    "seed": "", "practice": "2", "unaware": "0", "layout": "3x4+R", "synthetic_share": "0.5",
    "ask_confidence": "on", "show_progress": "on", "repeat_share": "0",
    "repeat_min_distance": "5", "attention_checks": "0", "equivalence_low": "0.4",
    "equivalence_high": "0.6", "assignment_mode": "all", "anchor_count": "0",
    "block_count": "1",
}  # fmt: skip


def log_in(username: str, **query) -> str:
    """Log in through the login page and return where it sends the user."""
    url = reverse("login")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    response = Client().post(url, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:300]
    return response.url


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- Landing and access -----------------------------------------------------------------


def test_staff_land_on_the_staff_home_and_readers_on_theirs(admin, reader_a):
    assert log_in("admin") == "/staff/"
    assert log_in("admin", next="/") == "/staff/"  # the reader home is nobody's choice
    assert log_in("admin", next="/staff/reports/7/") == "/staff/reports/7/"
    assert log_in("alice") == "/"
    assert log_in("alice", next="/staff/") == "/staff/"  # the page itself refuses her


def test_staff_pages_are_staff_only(paired_study, client, client_a, client_admin):
    pk = paired_study.pk
    urls = [
        reverse("assessment:staff-home"),
        reverse("assessment:staff-study-list"),
        reverse("assessment:staff-study-detail", args=[pk]),
        reverse("assessment:staff-study-close", args=[pk]),
    ]
    for url in urls:
        assert client_a.get(url).status_code == 404, url  # readers never learn they exist
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")
        assert client_admin.get(url).status_code == 200, url
    close = reverse("assessment:staff-study-close", args=[pk])
    assert client_a.post(close, {"confirm": "yes"}).status_code == 404
    preview = client_a.post(reverse(SEED_URL), {**SEED_FORM, "action": "preview"})
    assert preview.status_code == 302 and preview.url.startswith("/admin/login/")
    paired_study.refresh_from_db()
    assert paired_study.status == "open"


# --- Staff home and study page ----------------------------------------------------------


@pytest.fixture
def practised_study(small_store, reader_a, reader_b):
    """Paired, 8 main cases, 2 practice, 2 repeats, 1 attention check; alice has answered
    her 2 practice items and 3 main items, bob nothing (he has consented)."""
    study = seed(practice=2, settings={"repeat_share": 0.25, "attention_checks": 1})
    answer_all(study, lambda username, item: True, limit={"alice": 5, "bob": 0})
    return study


def test_reader_progress_counts_main_items_apart_from_practice(practised_study):
    alice, bob = study_reader_progress(practised_study)
    # 8 main cases + 2 round-2 repeats + 1 attention check are main items.
    mains = Assignment.objects.filter(enrolment__reader__username="alice", phase="main")
    assert mains.count() == 11
    assert (alice.reader, alice.main_answered, alice.main_total) == ("alice", 3, 11)
    assert (alice.practice_answered, alice.practice_total) == (2, 2)
    assert (alice.main_percent, alice.completed, alice.last_answer_at is not None) == (
        27,
        False,
        True,
    )
    assert (bob.main_answered, bob.main_total, bob.practice_answered, bob.main_percent) == (
        0,
        11,
        0,
        0,
    )
    assert bob.consented and bob.last_answer_at is None


def test_study_page_shows_progress_and_the_seeding_summary_as_a_table(
    practised_study, client_admin
):
    url = reverse("assessment:staff-study-detail", args=[practised_study.pk])
    html = html_of(client_admin.get(url))
    alice = re.search(r'<tr data-reader="alice".*?</tr>', html, re.S).group(0)
    assert 'data-main-answered="3" data-main-total="11"' in alice
    assert "3 / 11 (27%)" in alice and "2 / 2" in alice
    assert "Main items answered: <strong>3 of 22</strong> (13%)" in html
    seeding = re.search(r'<table[^>]*id="seeding".*?</table>', html, re.S).group(0)
    rows = dict(re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', seeding))
    assert rows == {
        "ECG pool": "real: test-real; synthetic: test-gen",
        "Main cases asked for": "8",
        "Practice items": "2",
        "Unaware-phase items": "0",
        "Candidate ECGs": "12 real, 12 synthetic",
        "Left out (readers saw them elsewhere)": "0",
        "Left out (privacy screen: likely copies)": "0",
        "Left out (a sample beyond ±10 mV)": "0 real, 0 synthetic",
        "Synthetic candidates no privacy screen has looked at": "12",
        "Pairs matched": "12 by label set",
    }
    strata = re.search(r'id="seeding-strata".*?</table>', html, re.S).group(0)
    assert re.findall(
        r'data-stratum="(\w+)"><th scope="row">\w+</th><td class="num">(\d+)', strata
    ) == [
        ("CD", "1"),
        ("HYP", "1"),
        ("MI", "2"),
        ("NORM", "4"),
    ]
    assert "{&#x27;" not in html and "{'" not in html  # no Python dict on the page
    assert f'href="{reverse("assessment:staff-study-close", args=[practised_study.pk])}"' in html


def test_staff_home_lists_every_study_with_its_progress(practised_study, client_admin):
    draft = seed("draft-one", readers=(), open_now=False, n=2)
    html = html_of(client_admin.get(reverse("assessment:staff-home")))
    row = re.search(rf'<tr data-study="{practised_study.pk}".*?</tr>', html, re.S).group(0)
    assert 'data-status="open"' in row and "0 of 2" in row and "3 / 22 (13%)" in row
    draft_row = re.search(rf'<tr data-study="{draft.pk}".*?</tr>', html, re.S).group(0)
    assert "not open yet" in draft_row and "none enrolled" in draft_row
    assert reverse("admin:assessment_seed") in html


def test_a_study_without_a_seeding_summary_says_so(paired_study, client_admin):
    Study.objects.filter(pk=paired_study.pk).update(seeding={})
    html = html_of(
        client_admin.get(reverse("assessment:staff-study-detail", args=[paired_study.pk]))
    )
    assert "No seeding summary was stored for this study." in html


# --- Closing ----------------------------------------------------------------------------


def test_closing_asks_for_confirmation_first(practised_study, client_admin):
    close = reverse("assessment:staff-study-close", args=[practised_study.pk])
    page = html_of(client_admin.get(close))
    assert "Close “s1”?" in page
    assert "<strong>3 of 22</strong> (13%); 0 of 2 readers finished" in page
    assert '<li data-reader="alice">alice: 3 of 11 main items</li>' in page
    assert 'name="confirm" value="yes"' in page

    unconfirmed = client_admin.post(close, follow=True)
    assert unconfirmed.redirect_chain == [(close, 302)]
    assert "Closing a study needs the confirmation on this page." in unconfirmed.content.decode()
    practised_study.refresh_from_db()
    assert practised_study.status == "open"

    detail = reverse("assessment:staff-study-detail", args=[practised_study.pk])
    closed = client_admin.post(close, {"confirm": "yes"})
    assert closed.status_code == 302 and closed.url == detail
    practised_study.refresh_from_db()
    assert practised_study.status == "closed" and practised_study.closed_at is not None

    again = client_admin.get(close, follow=True)
    assert again.redirect_chain == [(detail, 302)]
    assert "Only an open study can be closed (&#x27;s1&#x27; is closed)." in again.content.decode()
    assert client_admin.post(close, {"confirm": "yes"}, follow=True).status_code == 200


def test_close_page_answers_clear_errors_not_500(paired_study, client_admin):
    close = reverse("assessment:staff-study-close", args=[paired_study.pk])
    assert client_admin.put(close).status_code == 405
    assert client_admin.delete(close).status_code == 405
    missing = reverse("assessment:staff-study-close", args=[paired_study.pk + 1000])
    assert client_admin.get(missing).status_code == 404
    assert client_admin.post(missing, {"confirm": "yes"}).status_code == 404
    assert client_admin.post(close, {"confirm": "no" * 5000}).status_code == 302
    paired_study.refresh_from_db()
    assert paired_study.status == "open"


def test_a_draft_cannot_be_closed_from_the_confirmation(small_store, client_admin):
    draft = seed(readers=(), open_now=False)
    close = reverse("assessment:staff-study-close", args=[draft.pk])
    response = client_admin.post(close, {"confirm": "yes"}, follow=True)
    assert "only an open study can be closed (&#x27;s1&#x27; is draft)" in (
        response.content.decode()
    )
    draft.refresh_from_db()
    assert draft.status == "draft"


# --- The seed form ----------------------------------------------------------------------


def test_seed_form_lists_origins_folds_and_readers_with_counts(
    small_store, reader_a, reader_b, admin, client_admin
):
    seed("earlier", readers=("alice",), settings={"attention_checks": 1}, practice=1)
    form = StudySeedForm()
    assert form.fields["real_origins"].choices == [("test-real", "test-real (12 ECGs)")]
    # The attention checks' own origin is never offered.
    assert form.fields["synthetic_origins"].choices == [("test-gen", "test-gen (12 ECGs)")]
    assert form.fields["real_folds"].choices == [(9, "9 (12 real)")]
    assert form.fields["readers"].choices == [
        # 8 main + 1 practice pairs, an attention check's spare real ECG and its check.
        ("alice", "alice · in 1 study, 20 ECGs seen"),
        ("bob", "bob · no study yet"),
        ("admin", "admin (staff) · no study yet"),
    ]
    html = html_of(client_admin.get(reverse(SEED_URL)))
    assert 'value="test-real"' in html and "test-real (12 ECGs)" in html
    assert "alice · in 1 study, 20 ECGs seen" in html


def test_seed_form_groups_every_field_once_and_new_ones_under_other_settings(db):
    form = StudySeedForm()
    form.fields["a_new_setting"] = forms.FloatField(initial=1.0)
    groups = form.groups()
    names = [field.name for _, fields in groups for field in fields]
    assert sorted(names) == sorted(form.fields) and len(names) == len(set(names))
    assert [title for title, _ in groups][:3] == ["Study", "ECGs", "Readers"]
    assert groups[-1][0] == "Other settings"
    assert [field.name for field in groups[-1][1]] == ["a_new_setting"]


def test_seed_page_shows_each_error_once(small_store, reader_a, client_admin):
    url = reverse(SEED_URL)
    for action in ("preview", "seed"):
        html = html_of(client_admin.post(url, {**SEED_FORM, "n": "50", "action": action}))
        assert html.count("only 12 real/synthetic pairs could be matched") == 1, action
    html = html_of(client_admin.post(url, {**SEED_FORM, "real_origins": [], "n": "x"}))
    assert html.count("This field is required.") == 1
    assert html.count("Enter a whole number.") == 1
    assert "Please correct the marked fields below: Main cases, Real ECGs from." in html
    html = html_of(client_admin.post(url, {**SEED_FORM, "readers": ["mallory"]}))
    assert html.count("mallory is not one of the available choices") == 1
    html = html_of(client_admin.post(url, {**SEED_FORM, "action": "drop-tables"}))
    assert html.count("Unknown action &#x27;drop-tables&#x27;: use Preview or Seed.") == 1
    assert not Study.objects.exists()


def test_preview_stores_nothing_and_seeding_then_stores_exactly_the_preview(
    small_store, reader_a, client_admin
):
    ecgs_before = ECG.objects.count()
    url = reverse(SEED_URL)
    response = client_admin.post(url, {**SEED_FORM, "action": "preview"})
    html = html_of(response)
    preview = response.context["preview"]
    assert not Study.objects.exists() and not Case.objects.exists()
    assert ECG.objects.count() == ecgs_before
    drawn = preview["seed"]
    assert preview["seed_drawn"] and f'name="seed" value="{drawn}"' in html
    rows = {row.stratum: row for row in preview["strata"]}
    # 12 pairs by label set; 6 main cases allocated in proportion: NORM 3, HYP 1, and the
    # two halves left go to the largest remainders, tied, by name: CD and MI get 1 each.
    assert {s: (r.by_label_set, r.main) for s, r in rows.items()} == {
        "CD": (1, 1),
        "HYP": (2, 1),
        "MI": (3, 1),
        "NORM": (6, 3),
    }
    assert preview["totals"].main == 6 and preview["totals"].practice == 2
    assert preview["totals"].unused == 4
    shown = set(re.findall(r'data-real="(\d+)" data-synthetic="(\d+)"', html))
    assert len(shown) == 6

    seeded = client_admin.post(url, {**SEED_FORM, "seed": str(drawn), "action": "seed"})
    assert seeded.status_code == 302
    study = Study.objects.get(name="previewed")
    assert study.seed == drawn
    main = study.cases.filter(kind="main").order_by("index")
    assert {(str(c.real_ecg_id), str(c.synthetic_ecg_id)) for c in main} == shown
    assert study.seeding["main_by_stratum"] == {s: r.main for s, r in rows.items() if r.main}


@pytest.mark.parametrize("design", ["paired", "single"])
def test_preview_service_plans_exactly_the_cases_seeding_stores(small_store, design):
    kwargs = {
        "design": design,
        "n": 7,
        "pool": EcgPool(real_origins=["test-real"], synthetic_origins=["test-gen"]),
        "seed": 20240611,
        "practice": 2,
        "unaware": 1,
        "settings": {"unaware_phase": True, "attention_checks": 1},
    }
    planned = study_seed_preview(name="preview", **kwargs)
    assert not Study.objects.exists()
    study = study_seed(name="seeded", **kwargs)
    for kind, matches in [
        ("main", planned.plan.main),
        ("practice", planned.plan.practice),
        ("unaware", planned.plan.unaware),
    ]:
        cases = list(study.cases.filter(kind=kind).order_by("index"))
        assert len(cases) == len(matches), kind
        for case, match in zip(cases, matches, strict=True):
            shown = {case.real_ecg_id, case.synthetic_ecg_id} - {None}
            assert shown <= {match.real_id, match.synthetic_id}, kind
            assert (case.stratum, case.label_set) == (match.stratum, match.label_set)


def test_preview_refuses_what_seeding_refuses(small_store, reader_a):
    pool = EcgPool(real_origins=["test-real"], synthetic_origins=["test-gen"])
    seed("taken", readers=())
    cases = [
        ({"name": "taken", "n": 2}, "a study named 'taken' already exists"),
        ({"name": "x", "n": 13}, "only 12 real/synthetic pairs could be matched"),
        ({"name": "x", "n": 2, "readers": ["mallory"]}, "unknown reader(s): mallory"),
        ({"name": "x", "n": 2, "seed": -1}, "seed must be an integer"),
        (
            {"name": "x", "n": 12, "settings": {"attention_checks": 1}},
            "1 paired attention checks need 1 real ECGs outside the study's cases",
        ),
    ]
    for kwargs, message in cases:
        for service in (study_seed_preview, study_seed):
            with pytest.raises(ValueError, match=re.escape(message)):
                service(design="paired", pool=pool, practice=0, **kwargs)
    assert Study.objects.count() == 1
