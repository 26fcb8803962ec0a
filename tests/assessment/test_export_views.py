"""Staff downloads of a study: long CSV, JSON summary and self-contained HTML report."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
from django.urls import reverse
from scipy import stats

from assessment.analysis_frames import judgments_frame
from assessment.models import Assignment, Case, Judgment, Study
from assessment.reporting import study_export
from assessment.stats.summary import study_summary
from tests.assessment.answering import alice_right_bob_alternates, answer_all
from tests.assessment.conftest import seed


def main_judgments(study: Study):
    return Judgment.objects.filter(
        assignment__enrolment__study=study,
        assignment__phase=Assignment.Phase.MAIN,
        assignment__case__kind=Case.Kind.MAIN,
    )


@pytest.fixture
def answered_study(small_store, reader_a, reader_b) -> Study:
    """An open paired study of 8 cases with round-2 repeats, answered fully by alice and bob."""
    study = seed(settings={"repeat_share": 0.25})
    answer_all(study, alice_right_bob_alternates)
    return study


def download(client, study: Study, fmt: str):
    return client.get(reverse("reports:export", args=[study.pk, fmt]))


def test_csv_has_one_row_per_main_judgment(client_admin, answered_study):
    response = download(client_admin, answered_study, "csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="s1-judgments.csv"'
    table = pd.read_csv(io.StringIO(response.content.decode()))
    judgments = main_judgments(answered_study)
    assert len(table) == judgments.count() > 16  # 8 cases x 2 readers plus repeats
    expected_correct = sum(
        j.assignment.enrolment.reader.username == "alice" or j.assignment.position % 2 == 0
        for j in judgments.select_related("assignment__enrolment__reader")
    )
    assert int(table["correct"].sum()) == expected_correct
    assert sorted(table["item"]) == sorted(judgments.values_list("assignment__token", flat=True))
    assert set(table["round"]) == {1, 2}


def test_json_summary_equals_study_summary_of_the_same_frame(client_admin, answered_study):
    response = download(client_admin, answered_study, "json")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="s1-summary.json"'
    exported = json.loads(response.content)
    blinding = exported.pop("blinding")
    assert exported.pop("privacy") == []  # no privacy screen of the pool
    assert exported.pop("realism") == {"evaluations": [], "rows": []}  # none evaluated
    assert exported == study_summary(judgments_frame(answered_study))
    assert blinding["audit"]["n_panels"] == 16 and blinding["audit"]["leaking_channels"] == []
    # Independent check of the headline numbers from the stored judgments.
    judgments = main_judgments(answered_study).select_related("assignment__enrolment__reader")
    right = {"alice": [], "bob": []}
    for j in judgments.filter(round=1):
        name = j.assignment.enrolment.reader.username
        right[name].append(name == "alice" or j.assignment.position % 2 == 0)
    n, k = sum(map(len, right.values())), sum(map(sum, right.values()))
    first = exported["designs"]["paired"]["round_1"]["accuracy"]
    assert (first["n"], first["correct"]) == (n, k)
    assert first["ci_low"] == pytest.approx(stats.beta.ppf(0.025, k, n - k + 1), rel=1e-9)
    assert first["ci_high"] == pytest.approx(stats.beta.ppf(0.975, k + 1, n - k), rel=1e-9)
    alice = exported["designs"]["paired"]["by_reader"]["alice"]["round_1"]["accuracy"]
    assert alice["accuracy"] == 1.0
    primary = exported["designs"]["paired"]["primary"]["accuracy"]["generalisations"]
    (estimate,) = primary["random_readers_random_cases"]["modalities"]
    reader_means = [sum(values) / len(values) for values in right.values()]
    assert estimate["estimate"] == pytest.approx(sum(reader_means) / 2)
    assert "overall_accuracy" not in exported


def test_html_report_has_plotly_charts_and_no_external_scripts(client_admin, answered_study):
    response = download(client_admin, answered_study, "html")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert html.count('class="plotly-graph-div"') >= 5
    assert 'id="chart-forest-paired"' in html
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, flags=re.IGNORECASE)
    assert "Plotly.newPlot" in html
    assert "s1" in html


def test_study_without_judgments_exports_n_zero(client_admin, small_store, reader_a):
    study = seed(readers=("alice",))

    table = download(client_admin, study, "csv").content.decode()
    summary = json.loads(download(client_admin, study, "json").content)
    html = download(client_admin, study, "html").content.decode()

    assert table.count("\n") == 1 and table.startswith("reader,item,case,round,")
    assert summary["meta"]["n_judgments"] == 0 and summary["designs"] == {}
    assert "No judgments recorded yet" in html


def test_reader_gets_404_for_every_export(client_a, answered_study):
    for fmt in ("csv", "json", "html"):
        assert download(client_a, answered_study, fmt).status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, answered_study):
    response = download(client, answered_study, "csv")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_unknown_format_or_study_is_404(client_admin, answered_study):
    assert download(client_admin, answered_study, "xlsx").status_code == 404
    missing = Study(pk=answered_study.pk + 1000)
    assert download(client_admin, missing, "csv").status_code == 404


def test_exports_refuse_post(client_admin, answered_study):
    url = reverse("reports:export", args=[answered_study.pk, "csv"])
    assert client_admin.post(url).status_code == 405


def test_study_export_rejects_an_unknown_format(answered_study):
    with pytest.raises(ValueError, match="unknown export format 'xlsx'; choose one of csv"):
        study_export(answered_study, "xlsx")
