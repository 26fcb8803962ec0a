"""The privacy and realism tables are built once (``assessment.reports.table``) and drawn
identically by the exported report (``table_html``) and the dashboard's template."""

from __future__ import annotations

import re

from django.template.loader import render_to_string

from assessment.reports.privacy_section import privacy_table
from assessment.reports.realism_section import realism_table
from assessment.reports.table import Cell, Row, Table, table_html

TRICKY = Table(
    element_id="demo",
    title="A <title>",
    head=("origin", "value"),
    rows=(
        Row(
            (Cell("o'<b>", href="/staff/x?a=1&b=2"), Cell("0.500", "flagged error")),
            {"screen": '7"'},
        ),  # fmt: skip
        Row((Cell("plain"), Cell("n/a"))),
    ),
    notes=("Less < more & 'quoted'.",),
    empty="Nothing.",
)


def compact(markup: str) -> str:
    return re.sub(r">\s+<", "><", markup.strip())


def dashboard_markup(table: Table, **context) -> str:
    return compact(render_to_string("assessment/reports/_table.html", {"table": table, **context}))


def table_element(markup: str) -> str:
    return markup[markup.index("<table") : markup.index("</table>") + len("</table>")]


def test_the_report_and_the_dashboard_draw_the_same_table():
    report = table_html(TRICKY)
    dashboard = dashboard_markup(TRICKY)
    assert table_element(report) == table_element(dashboard)
    assert '<tr data-screen="7&quot;">' in report
    assert '<a href="/staff/x?a=1&amp;b=2">o&#x27;&lt;b&gt;</a>' in report
    assert '<td class="flagged error">0.500</td>' in report
    for markup in (report, dashboard):
        assert "<h2>A &lt;title&gt;</h2>" in markup
        assert "Less &lt; more &amp; &#x27;quoted&#x27;." in markup


def test_an_empty_table_is_one_sentence_with_the_dashboards_hint():
    empty = Table("demo", "T", ("a",), (), ("never shown",), "Nothing here.")
    assert table_html(empty) == '<h2>T</h2><p id="no-demo">Nothing here.</p>'
    shown = dashboard_markup(empty, hint="run manage.py x")
    assert '<p id="no-demo">Nothing here. (run manage.py x)</p>' in shown
    assert "<table" not in shown and "never shown" not in shown


def screen(pk: int, flagged: int, with_ci: bool = True) -> dict:
    summary = {
        "n_synthetic": 12, "n_training": 8, "n_reference": 6, "flagged": flagged,
        "share_below_p5": 0.25, "share_below_p5_ci": [0.0891, 0.5323],
        "mia_auc": 0.6125, "dcr_median": 0.12346, "reference_dcr_median": 0.2,
    }  # fmt: skip
    if with_ci:
        summary["mia_auc_ci"] = [0.31, 0.9]
    return {"id": pk, "synthetic_origin": "gen", "created_at": "2026-12-01T10:00:00+00:00",
            "summary": summary, "training_text": "folds 1-8"}  # fmt: skip


def test_privacy_rows_link_only_where_a_page_exists_and_mark_copies():
    screens = [screen(3, flagged=2), screen(4, flagged=0, with_ci=False)]
    exported = privacy_table(screens)
    linked = privacy_table(screens, lambda pk: f"/staff/privacy/{pk}/")
    first, second = (row.cells for row in exported.rows)
    assert [cell.text for cell in first] == [
        "gen", "3 (2026-12-01)", "12 / 8 / 6", "2", "0.250 [0.089, 0.532]",
        "0.613 [0.310, 0.900]", "0.1235 / 0.2000", "folds 1-8",
    ]  # fmt: skip
    assert first[3].css_class == "flagged error" and second[3].css_class == "flagged"
    assert second[5].text == "0.613"  # a screen from before the AUC's CI
    assert all(not cell.href for row in exported.rows for cell in row.cells)
    assert [row.cells[1].href for row in linked.rows] == ["/staff/privacy/3/", "/staff/privacy/4/"]
    assert [row.data for row in linked.rows] == [{"screen": "3"}, {"screen": "4"}]


def realism_row(design: str | None, accuracy: float | None) -> dict:
    metrics = {f"{kind}_{m}": 0.5 + i / 100 for i, (kind, m) in enumerate(
        (k, m) for k in ("tstr", "trts", "trtr") for m in ("auc", "f1", "g_mean"))}  # fmt: skip
    return {"design": design, "generator": "sssd-nle", "evaluation": 9,
            "readers_accuracy": accuracy, "readers_ci95": None if accuracy is None else
            [0.41, 0.7], "generator_warning": "", **metrics}  # fmt: skip


def test_realism_rows_name_the_design_and_say_when_accuracy_is_unknown():
    table = realism_table([realism_row("paired", 0.5551), realism_row(None, None)])
    answered, bare = ([cell.text for cell in row.cells] for row in table.rows)
    assert answered[:4] == ["Paired ECGs (which one is synthetic?)", "sssd-nle", "9",
                            "0.555 [0.410, 0.700]"]  # fmt: skip
    assert answered[4:] == ["0.500", "0.510", "0.520", "0.530", "0.560"]  # TSTR 3, TRTS, TRTR
    assert bare[0] == "no judgments yet" and bare[3] == "n/a"
    assert [row.data for row in table.rows] == [
        {"generator": "sssd-nle", "design": "paired"},
        {"generator": "sssd-nle", "design": ""},
    ]
