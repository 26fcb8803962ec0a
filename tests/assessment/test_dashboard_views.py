"""The staff dashboard of a study: reader progress, running statistics, access and queries."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.cache import cache
from django.db.models import Max
from django.urls import reverse
from django.utils.html import escape

from assessment import reporting
from assessment.analysis_frames import judgments_frame
from assessment.models import Assignment, Case, Enrolment, Judgment, Study
from assessment.previews import preview_token
from assessment.stats.summary import study_summary
from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.assessment.conftest import seed
from tests.factories import UserFactory


@pytest.fixture
def busy_study(small_store, reader_a, reader_b) -> Study:
    """Alice and bob finish (with repeats and an attention check), carol answers 3, dave 0."""
    UserFactory(username="carol")
    UserFactory(username="dave")
    study = seed(
        readers=("alice", "bob", "carol", "dave"),
        settings={"attention_checks": 1, "repeat_share": 0.25},
    )
    answer_all(study, alice_right_bob_alternates, limit={"carol": 3, "dave": 0})
    return study


def dashboard_url(study: Study) -> str:
    return reverse("reports:dashboard", args=[study.pk])


def progress_of(response) -> dict:
    return {row.reader: row for row in response.context["dashboard"].readers}


def test_progress_per_reader_matches_the_stored_judgments(client_admin, busy_study):
    response = client_admin.get(dashboard_url(busy_study))

    assert response.status_code == 200
    rows = progress_of(response)
    assert list(rows) == ["alice", "bob", "carol", "dave"]
    for name, row in rows.items():
        enrolment = Enrolment.objects.get(study=busy_study, reader__username=name)
        judgments = Judgment.objects.filter(assignment__enrolment=enrolment)
        assert row.assigned == enrolment.assignments.count() >= 11  # 8 cases, 2 repeats, 1 check
        assert row.answered == judgments.count()
        main = judgments.filter(
            assignment__phase=Assignment.Phase.MAIN, assignment__case__kind=Case.Kind.MAIN
        )
        times = [ms / 1000 for ms in main.values_list("active_time_ms", flat=True)]
        assert row.median_time_s == (pytest.approx(np.median(times)) if times else None)
    assert rows["carol"].answered == 3 and rows["dave"].answered == 0
    assert rows["alice"].completion_pct == 100.0 and rows["alice"].completed
    assert rows["carol"].completion_pct == pytest.approx(300 / rows["carol"].assigned)
    carol_last = Judgment.objects.filter(assignment__enrolment__reader__username="carol").aggregate(
        last=Max("answered_at")
    )["last"]
    assert rows["carol"].last_activity == carol_last
    assert (
        rows["alice"].last_activity == Enrolment.objects.get(reader__username="alice").completed_at
    )


def test_attention_pass_rate_counts_checks_answered_right(client_admin, busy_study):
    rows = progress_of(client_admin.get(dashboard_url(busy_study)))

    check = Assignment.objects.get(
        enrolment__study=busy_study, enrolment__reader__username="bob", case__kind="attention"
    )
    bob_passed = int(check.position % 2 == 0)  # bob is right on even positions only
    assert (rows["alice"].attention_passed, rows["alice"].attention_total) == (1, 1)
    assert (rows["bob"].attention_passed, rows["bob"].attention_total) == (bob_passed, 1)
    assert rows["alice"].attention_pct == 100.0
    assert rows["dave"].attention_total == 0 and rows["dave"].attention_pct is None


def test_overall_completion_sums_every_reader(client_admin, busy_study):
    response = client_admin.get(dashboard_url(busy_study))

    dashboard = response.context["dashboard"]
    stored = Judgment.objects.filter(assignment__enrolment__study=busy_study).count()
    assigned = Assignment.objects.filter(enrolment__study=busy_study).count()
    assert (dashboard.answered, dashboard.assigned) == (stored, assigned)
    cell = f"{stored} / {assigned} ({100 * stored / assigned:.1f}%)"
    assert cell in response.content.decode()


def test_statistics_are_the_study_summary_with_its_headline(client_admin, busy_study):
    response = client_admin.get(dashboard_url(busy_study))

    dashboard = response.context["dashboard"]
    expected = study_summary(judgments_frame(busy_study))
    assert dashboard.summary == expected
    paired = expected["designs"]["paired"]
    primary = paired["primary"]["accuracy"]["generalisations"]["random_readers_random_cases"]
    (estimate,) = primary["modalities"]
    html = response.content.decode()
    section = html[html.index('id="stats-paired"') :]
    assert f"{estimate['estimate']:.3f} [{estimate['ci95'][0]:.3f}" in section
    assert f"{estimate['tost_p']:.4f}" in section
    assert f"{paired['round_1']['detection']['d_prime']:.3f}" in section
    assert escape(paired["headline"]) in section
    assert "Overall accuracy" not in html
    kappa = expected["designs"]["paired"]["agreement"]["1"]["fleiss_kappa"]
    low, high = expected["designs"]["paired"]["agreement"]["1"]["fleiss_kappa_ci"]
    assert f'<td class="fleiss-kappa">{kappa:.3f}</td>' in section
    # Undefined (None) when one verdict fills most resamples; the readers' orders are random.
    interval = "n/a" if low is None else f"[{low:.3f}, {high:.3f}]"
    assert f'<td class="fleiss-kappa-ci">{interval}</td>' in section


def test_forest_plot_has_a_row_per_reader_and_the_pooled_estimate(client_admin, busy_study):
    response = client_admin.get(dashboard_url(busy_study))

    (design,) = response.context["dashboard"].designs
    labels = [row.label for row in design.forest]
    assert labels == ["alice", "bob", "carol", "All readers (OR-Hillis)"]
    alice = design.forest[0]
    assert (alice.estimate, alice.x) == (1.0, "100.00")
    # Clopper-Pearson lower bound when every answer is right: (alpha / 2) ** (1 / n).
    assert float(alice.x_low) == pytest.approx(100 * 0.025 ** (1 / alice.n), abs=0.005)
    html = response.content.decode()
    assert html.count('<circle class="estimate"') == 4
    assert 'cx="100.00%"' in html


def test_dashboard_queries_do_not_grow_with_readers(
    client_admin, busy_study, django_assert_max_num_queries
):
    cache.clear()
    # session, user, study, enrolment progress, main judgments, attention checks, the
    # summary's cache key (revisions, reader names), the cases' ECG ids, on a cache miss
    # the unaware phase, and the pool's latest privacy screens and realism evaluations
    with django_assert_max_num_queries(12):
        response = client_admin.get(dashboard_url(busy_study))
    assert len(response.context["dashboard"].readers) == 4


def test_summary_is_cached_until_the_next_judgment(client_admin, busy_study, monkeypatch):
    cache.clear()
    computed = []
    original = reporting.study_report_summary

    def counting(study, frame):
        computed.append(len(frame))
        return original(study, frame)

    monkeypatch.setattr(reporting, "study_report_summary", counting)
    first = client_admin.get(dashboard_url(busy_study)).context["dashboard"].summary
    again = client_admin.get(dashboard_url(busy_study)).context["dashboard"].summary
    assert again == first and len(computed) == 1
    judgment = Judgment.objects.filter(assignment__enrolment__study=busy_study).first()
    judgment.confidence = 1 if judgment.confidence != 1 else 2
    judgment.save()  # a revised answer moves updated_at
    client_admin.get(dashboard_url(busy_study))
    assert len(computed) == 2


def test_study_without_judgments_states_n_zero(client_admin, small_store, reader_a):
    study = seed(readers=("alice",))

    response = client_admin.get(dashboard_url(study))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="n-judgments">n = 0<' in html
    assert 'id="no-judgments"' in html
    assert response.context["dashboard"].designs == []
    assert progress_of(response)["alice"].answered == 0


def test_draft_study_without_assignments_renders(client_admin, small_store, reader_a):
    study = seed(readers=("alice",), open_now=False)

    response = client_admin.get(dashboard_url(study))

    assert response.status_code == 200
    assert response.context["dashboard"].completion_pct is None
    assert progress_of(response)["alice"].assigned == 0


def test_dashboard_links_every_download(client_admin, busy_study):
    html = client_admin.get(dashboard_url(busy_study)).content.decode()

    links = {
        "csv": "judgments (CSV)",
        "json": "summary (JSON)",
        "html": "report (HTML)",
        "history": "answer history (CSV, every revision)",
    }
    for fmt, label in links.items():
        href = reverse("reports:export", args=[busy_study.pk, fmt])
        assert f'data-format="{fmt}" href="{href}">{label}</a>' in html


def test_reader_gets_404(client_a, busy_study):
    assert client_a.get(dashboard_url(busy_study)).status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, busy_study):
    response = client.get(dashboard_url(busy_study))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={dashboard_url(busy_study)}"


def test_unknown_study_is_404(client_admin, db):
    assert client_admin.get(reverse("reports:dashboard", args=[999_999])).status_code == 404


def test_one_reader_table_quotes_the_headline_estimate_for_this_reader_only(
    client_admin, small_store, reader_a
):
    study = seed(readers=("alice",))
    answer_all(study, lambda username, item: item.position % 3 != 0)

    response = client_admin.get(dashboard_url(study))

    (design,) = response.context["dashboard"].designs
    accuracy = response.context["dashboard"].summary["designs"]["paired"]["primary"]["accuracy"]
    assert accuracy["reported"] == "fixed_readers_random_cases"
    (fixed,) = accuracy["generalisations"]["fixed_readers_random_cases"]["modalities"]
    low, high = fixed["ci95"]
    assert design.primary["ci95"] == [low, high] and design.primary["readers_random"] is False
    html = " ".join(response.content.decode().split())
    assert "Accuracy, this reader only, cases random (95% CI)</th>" in html
    assert f"[{low:.3f}, {high:.3f}]" in html
    assert f"95% CI {100 * low:.0f}–{100 * high:.0f}%, this reader only" in html


def test_single_design_shows_yes_no_d_prime_and_criterion(client_admin, small_store, reader_a):
    study = seed(design="single", readers=("alice",))
    answer_all(study, lambda username, item: item.position % 3 != 0)

    response = client_admin.get(dashboard_url(study))

    (design,) = response.context["dashboard"].designs
    detection = response.context["dashboard"].summary["designs"]["single"]["round_1"]
    signal = detection["detection"]["signal_detection"]
    assert design.design == "single"
    assert (design.d_prime, design.criterion_c) == (signal["d_prime"], signal["criterion_c"])
    assert f"(criterion c {signal['criterion_c']:.3f})" in response.content.decode()
    html = " ".join(response.content.decode().split())
    for key, estimate in design.secondary:  # one reader: the fixed-reader interval
        analysis = response.context["dashboard"].summary["designs"]["single"]["primary"][key]
        (fixed,) = analysis["generalisations"]["fixed_readers_random_cases"]["modalities"]
        label = "AUC" if key == "auc" else key.capitalize()
        low, high = fixed["ci95"]
        assert f"{label} (this reader only, 95% CI)</th><td>{fixed['estimate']:.3f} [" in html
        assert estimate["ci95"] == [low, high]
    assert [key for key, _ in design.secondary] == ["auc", "sensitivity", "specificity"]


def test_study_page_links_the_dashboard_and_every_download(client_admin, small_store, reader_a):
    study = seed(readers=("alice",))

    page = client_admin.get(reverse("assessment:staff-study-detail", args=[study.pk]))
    html = page.content.decode()

    assert f'href="{dashboard_url(study)}"' in html
    for fmt in ("csv", "json", "html", "history"):
        assert f'href="{reverse("reports:export", args=[study.pk, fmt])}"' in html
    assert ">answer history (CSV, every revision)</a>" in html


def test_case_table_shows_share_right_and_staff_previews_of_both_ecgs(client_admin, busy_study):
    response = client_admin.get(dashboard_url(busy_study))

    (design,) = response.context["dashboard"].designs
    frame = judgments_frame(busy_study)
    first = frame[frame["round"] == 1]
    shares = first.groupby("case")["correct"].mean()
    assert {row.case: row.share_right for row in design.cases} == pytest.approx(shares.to_dict())
    row = design.cases[0]
    case = Case.objects.get(pk=int(row.case))
    html = response.content.decode()
    for ecg, url in (
        (case.real_ecg, row.real_preview),
        (case.synthetic_ecg, row.synthetic_preview),
    ):
        assert f'src="{url}"' in html
        image = client_admin.get(url)
        assert image["Content-Type"].startswith("image/svg+xml")
        direct = reverse("ecg_render:rendered", args=[preview_token(ecg), "svg"])
        assert image.content == client_admin.get(direct).content
