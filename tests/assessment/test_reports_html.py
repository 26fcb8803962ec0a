"""Self-contained HTML report: charts present, plotly.js inlined, text escaped."""

import html
import re

import pandas as pd
import pytest

from assessment.reports.html_report import render_html_report, write_html_report
from assessment.stats.simulate import simulate_study
from assessment.stats.summary import study_summary

CHART_IDS = ("forest-single", "forest-paired", "roc", "superclass", "learning", "time")


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    frame = simulate_study(n_readers=4, items_per_reader=40, seed=5)
    frame["reader"] = frame["reader"].replace("reader-001", "<script>alert('x')</script>&co")
    return frame


@pytest.fixture(scope="module")
def report(study, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_html_report(study_summary(study), study, path, title="Study <1>")
    return path.read_text(encoding="utf-8")


def test_report_contains_every_plotly_chart(report):
    for chart in CHART_IDS:
        assert f'id="chart-{chart}" class="plotly-graph-div"' in report
    assert report.count("Plotly.newPlot(") == len(CHART_IDS)


def test_plotly_js_is_embedded_not_loaded(report):
    script_tags = re.findall(r"<script[^>]*>", report)
    assert script_tags and all("src" not in tag for tag in script_tags)
    assert "cdn" not in " ".join(script_tags).lower()
    assert "https://" not in " ".join(script_tags)
    assert len(report) > 3_000_000  # the plotly.js bundle itself is inlined


def test_text_is_html_escaped(report):
    assert "<script>alert" not in report
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;co" in report
    assert "<title>Study &lt;1&gt;</title>" in report


def test_tables_show_the_main_numbers(study, report):
    summary = study_summary(study)
    paired = summary["designs"]["paired"]
    accuracy = paired["by_reader"]["reader-002"]["round_1"]["accuracy"]
    assert f"{accuracy['accuracy']:.3f} [{accuracy['ci_low']:.3f}, {accuracy['ci_high']:.3f}]" in (
        report
    )
    primary = paired["primary"]["accuracy"]["generalisations"]["random_readers_random_cases"]
    (estimate,) = primary["modalities"]
    low, high = estimate["ci95"]
    assert f"<td>{estimate['estimate']:.3f}</td><td>[{low:.3f}, {high:.3f}]</td>" in report
    assert html.escape(paired["headline"], quote=True) in report
    for heading in (
        "Agreement between readers",
        "Repeatability",
        "Consistency with the stated",
        "Primary analysis (OR-Hillis, round 1)",
        "Sample size in readers x cases",
        "Cases, most often told apart first",
    ):
        assert heading in report
    assert "Overall accuracy" not in report
    # The bootstrap serves the agreement CIs only (their column headers and method), never
    # accuracy.
    agreement_only = report.replace("95% CI (bootstrap over cases)", "").replace(
        "95% percentile bootstrap CI over cases", ""
    )
    assert "bootstrap" in report and "bootstrap" not in agreement_only.lower()
    agreement = paired["agreement"]["1"]
    low, high = agreement["fleiss_kappa_ci"]
    assert f"<td>{agreement['fleiss_kappa']:.3f}</td><td>[{low:.3f}, {high:.3f}]</td>" in report


def test_report_is_deterministic(study):
    summary = study_summary(study)
    assert render_html_report(summary, study) == render_html_report(summary, study)


def test_empty_study_report_says_so():
    columns = ["reader", "item", "case", "round", "design", "truth", "answer"]
    empty = pd.DataFrame({column: [] for column in columns})
    html = render_html_report(study_summary(empty), empty)
    assert "No judgments recorded yet" in html
    assert "Plotly.newPlot(" not in html
