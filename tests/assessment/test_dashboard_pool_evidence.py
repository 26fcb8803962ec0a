"""The live staff dashboard shows the privacy screen of the study's pool and its
generators' machine realism beside the physicians' accuracy, from the same service
functions as the exported report (``study_privacy``, ``study_realism``)."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from assessment.analysis_frames import judgments_frame
from assessment.reporting import study_privacy, study_realism, study_report_summary
from generator.models import ECG, RealismEvaluation
from generator.privacy import privacy_screen
from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.assessment.conftest import seed
from tests.assessment.test_privacy_pages import stored_copy
from tests.assessment.test_realism_report import evaluate
from tests.factories import EcgFactory

MARKER = "@@MISSING:%s@@"


@pytest.fixture(autouse=True)
def same_factory_signals():
    """The same factory pool whichever tests ran before (as in the privacy page tests)."""
    EcgFactory.reset_sequence(0)


@pytest.fixture
def study(small_store, reader_a, reader_b):
    """A paired study of the factory pool, screened first (one synthetic ECG is a copy of
    a training ECG), answered by both readers, with an older and a newer evaluation."""
    stored_copy(ECG.objects.synthetic().filter(origin="test-gen").order_by("id").first(), "copy")
    for i in range(6):
        EcgFactory(origin="train-real", strat_fold=1, signal_seed=500 + i)
        EcgFactory(origin="train-real", strat_fold=10, signal_seed=600 + i)
    privacy_screen(synthetic_origin="test-gen", real_origin="train-real", training_folds=[1],
                   reference_folds=[10], min_reference=6)  # fmt: skip
    study = seed(name="pool-evidence", n=6)
    answer_all(study, alice_right_bob_alternates)
    evaluate("test-gen", "sssd-nle", 1)
    newer = evaluate("test-gen", "sssd-nle", 2)
    newer.settings = {"generator_training": {"folds": [1, 2, 3, 4, 5, 6, 7, 8],
                                             "source": "checkpoint data fingerprint"}}  # fmt: skip
    newer.save()
    return study


def dashboard_html(client, study, settings) -> tuple[str, object]:
    """The page rendered with a marker for every template variable that does not exist."""
    templates = [{**settings.TEMPLATES[0]}]
    templates[0]["OPTIONS"] = {**templates[0]["OPTIONS"], "string_if_invalid": MARKER}
    with override_settings(TEMPLATES=templates):
        response = client.get(reverse("reports:dashboard", args=[study.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "@@MISSING" not in html, html[html.index("@@MISSING") - 200 :][:400]
    return html, response.context["dashboard"]


def test_the_dashboard_shows_the_pools_privacy_screen(client_admin, study, settings):
    html, dashboard = dashboard_html(client_admin, study, settings)
    assert dashboard.privacy == study_privacy(study)  # what the report shows
    (screen,) = dashboard.privacy
    s = screen["summary"]
    assert s["flagged"] >= 1  # the copy, at least
    row = html.split(f'<tr data-screen="{screen["id"]}">')[1].split("</tr>")[0]
    assert f'href="/staff/privacy/{screen["id"]}/"' in row
    assert f'<td class="flagged error">{s["flagged"]}</td>' in row
    low, high = s["share_below_p5_ci"]
    assert f"{s['share_below_p5']:.3f} [{low:.3f}, {high:.3f}]" in row
    auc_low, auc_high = s["mia_auc_ci"]
    assert f'<td class="mia-auc">{s["mia_auc"]:.3f} [{auc_low:.3f}, {auc_high:.3f}]</td>' in row
    assert f'<td class="training-set">{screen["training_text"]}</td>' in row
    assert f"{s['n_synthetic']} / {s['n_training']} / {s['n_reference']}" in row
    assert 'id="no-privacy-screens"' not in html


def test_the_dashboard_puts_tstr_beside_the_physicians_accuracy(client_admin, study, settings):
    html, dashboard = dashboard_html(client_admin, study, settings)
    frame = judgments_frame(study)
    realism = study_realism(study, study_report_summary(study, frame), frame)
    assert [row.values for row in dashboard.realism] == realism["rows"]  # the report's rows
    newer = RealismEvaluation.objects.order_by("-id").first()
    (row,) = realism["rows"]
    assert row["evaluation"] == newer.pk and row["design"] == "paired"
    readers = study_report_summary(study, frame)["designs"]["paired"]["round_1"]
    averaged = readers["reader_averaged"]
    assert row["readers_accuracy"] == pytest.approx(averaged["estimate"])
    cells = html.split('<tr data-generator="sssd-nle" data-design="paired">')[1].split("</tr>")[0]
    low, high = averaged["ci95"]
    assert f"{averaged['estimate']:.3f} [{low:.3f}, {high:.3f}]" in cells
    assert f'<td class="tstr-auc">{newer.tstr_auc:.3f}</td>' in cells
    assert f'<td class="trtr-auc">{newer.metrics["trtr"]["macro"]["auc"]:.3f}</td>' in cells
    # The plot: the generator at (TSTR AUC, accuracy) in the 0..100 box, y pointing down.
    (point,) = dashboard.realism_plotted
    assert point.x == f"{100 * newer.tstr_auc:.2f}"
    assert point.y == f"{100 * (1 - averaged['estimate']):.2f}"
    assert f'<circle cx="{point.x}" cy="{point.y}"' in html and 'id="realism-plot"' in html
    # The evaluation's real test folds and the generator's training folds.
    assert "tested on folds 10;" in html
    assert (
        "the generator was trained on folds 1,2,3,4,5,6,7,8 (checkpoint data fingerprint)" in html
    )


def test_unknown_generator_folds_are_a_visible_warning(client_admin, study, settings):
    RealismEvaluation.objects.order_by("-id").first().delete()  # the older one: not checked
    html, _ = dashboard_html(client_admin, study, settings)
    assert (
        '<span class="error generator-folds-unknown">The generator&#x27;s training folds ' in html
    )
    assert "were not checked (an older evaluation)" in html


def test_a_study_without_screens_or_evaluations_says_so(client_admin, small_store, reader_a,
                                                          reader_b, settings):  # fmt: skip
    study = seed(name="bare", n=6)
    html, dashboard = dashboard_html(client_admin, study, settings)
    assert dashboard.privacy == [] and dashboard.realism == []
    assert 'id="no-privacy-screens"' in html and 'id="no-realism"' in html
    assert 'id="realism-plot"' not in html
