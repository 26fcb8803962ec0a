"""Render the HTML report in headless Debian chromium and check the charts were drawn."""

from pathlib import Path

import pytest

from assessment.reports.html_report import write_html_report
from assessment.stats.simulate import simulate_study
from assessment.stats.summary import study_summary

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian chromium not installed at /usr/bin/chromium"
    ),
]


def test_report_charts_render_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    study = simulate_study(n_readers=4, items_per_reader=40, seed=6)
    report = write_html_report(study_summary(study), study, tmp_path / "report.html")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            failed_requests = []
            page.on("requestfailed", lambda request: failed_requests.append(request.url))
            page.goto(report.resolve().as_uri())
            page.wait_for_selector(".plotly-graph-div .main-svg", timeout=20_000)
            graphs = page.locator(".plotly-graph-div")
            assert graphs.count() == 6
            for index in range(graphs.count()):
                box = graphs.nth(index).bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 200
            assert page.locator(".main-svg").count() >= 6
            # Every forest plot draws one marker per reader plus the pooled one.
            assert page.locator("#chart-forest-single .point").count() == 5
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert failed_requests == []
