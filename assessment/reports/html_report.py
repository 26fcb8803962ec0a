"""Self-contained HTML report: tables of the main numbers and Plotly charts, plotly.js inlined."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from assessment.audit.result import audit_verdict
from assessment.reports import charts
from assessment.reports.privacy_section import privacy_html
from assessment.reports.realism_section import realism_chart, realism_html
from assessment.stats.frame import validate
from assessment.stats.headline import format_p
from assessment.stats.summary import random_readers

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; }
.chart { margin: 1rem 0 2rem; }
.note { color: #666; font-size: 0.85rem; }
.headline { font-size: 1.1rem; background: #f6f8fa; border-left: 4px solid #1f77b4;
  padding: 0.6rem 0.9rem; }
"""


def render_html_report(
    summary: dict,
    judgments: pd.DataFrame,
    title: str = "Reader study report",
    blinding: dict | None = None,
    privacy: list[dict] | None = None,
    realism: list[dict] | None = None,
) -> str:
    """The full report as one HTML string (no external resources); ``blinding`` is the
    study's blinding audit with how it was opened (see ``study_blinding``), ``privacy``
    the privacy screens of its synthetic origins (see ``study_privacy``), ``realism`` its
    generators' machine realism beside the readers (``realism_section.realism_rows``)."""
    frame = validate(judgments)
    sections = [f"<h1>{_text(title)}</h1>", _overview(summary), _blinding(blinding)]
    sections.append(privacy_html(privacy))
    sections.append(realism_html(realism or []))
    if any(row["readers_accuracy"] is not None for row in realism or []):
        sections.append(_chart(realism_chart(realism), "realism"))
    if not summary["designs"]:
        sections.append("<p>No judgments recorded yet: nothing to analyse.</p>")
    for design, section in summary["designs"].items():
        sections.append(f"<h2>{_text(charts.DESIGN_TITLES[design])}</h2>")
        sections.append(f'<p class="headline">{_text(section["headline"])}</p>')
        sections.append(_primary_table(section["primary"], section["measure"]))
        sections.append(_components_table(section["primary"]["accuracy"], section["measure"]))
        sections.append(_generators(section["primary"]["by_generator"]))
        sections.append(_label_consistency(section["primary"]["label_consistency"]))
        sections.append(_sample_size(section["sample_size"]))
        sections.append(_chart(charts.forest_plot(summary, design), f"forest-{design}"))
        sections.append(_reader_table(design, section))
        sections.append(_fast_readers(section["fast_readers"]))
        sections.append(_strata_tables(section["strata"], section["measure"]))
        sections.append(_case_table(section["cases"]))
        sections.append(_agreement_table(section))
        sections.append(_repeatability(section))
    if summary["designs"]:
        sections.append("<h2>Across designs</h2>")
        sections.append(_chart(charts.roc_chart(summary), "roc"))
        sections.append(_chart(charts.stratum_chart(summary, "superclass"), "superclass"))
        sections.append(_chart(charts.learning_chart(summary), "learning"))
        sections.append(_chart(charts.time_chart(frame), "time"))
    sections.append(_unaware(summary["unaware"]))
    sections.append(_methods(summary["methods"]))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_text(title)}</title>\n<style>{_STYLE}</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n</head>\n<body>\n'
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def write_html_report(
    summary: dict, judgments: pd.DataFrame, path: str | Path, title: str = "Reader study report"
) -> Path:
    """Write the report to ``path`` (UTF-8) and return the path."""
    target = Path(path)
    target.write_text(render_html_report(summary, judgments, title), encoding="utf-8")
    return target


def _dprime(analysis: dict) -> float | None:
    detection = analysis["detection"]
    return (
        detection["signal_detection"]["d_prime"]
        if "signal_detection" in detection
        else (detection["d_prime"])
    )


def _chart(figure: go.Figure, name: str) -> str:
    # A fixed div id keeps the output identical for identical input.
    body = figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f"chart-{name}",
        config={"displaylogo": False, "responsive": True},
    )
    return f'<div class="chart">{body}</div>'


def _overview(summary: dict) -> str:
    meta = summary["meta"]
    rows = [
        ("Judgments (all rounds)", meta["n_judgments"]),
        ("Readers", meta["n_readers"]),
        ("Cases", meta["n_cases"]),
        ("Designs", ", ".join(meta["designs"]) or "none"),
        ("Rounds", ", ".join(str(r) for r in meta["rounds"]) or "none"),
        ("Equivalence margin", f"{meta['margin'][0]:g} to {meta['margin'][1]:g}"),
    ]
    note = (
        '<p class="note">Each design answers its own question, so results are never pooled '
        "across designs. The primary analysis uses round 1 only; round 2 repeats feed the "
        "repeatability analysis.</p>"
    )
    return "<h2>Overview</h2>" + _table(("Quantity", "Value"), rows) + note


GENERALISATION_LABELS = {
    "random_readers_random_cases": "readers and cases random (primary)",
    "fixed_readers_random_cases": "readers fixed, cases random",
    "random_readers_fixed_cases": "readers random, cases fixed",
}
PRIMARY_LABELS = {
    "accuracy": "",  # the design's measure: accuracy, or balanced accuracy for single ECGs
    "auc": "AUC of confidence ratings",
    "sensitivity": "Sensitivity (synthetic called synthetic)",
    "specificity": "Specificity (real called real)",
}


def _primary_table(primary: dict, measure: str) -> str:
    rows = []
    for key, label in PRIMARY_LABELS.items():
        label = label or measure.capitalize()
        analysis = primary.get(key)
        if analysis is None:
            continue
        if not analysis["computable"]:
            rows.append((label, "", f"not computable: {analysis['reason']}", "", "", "", ""))
            continue
        for name, generalisation in analysis["generalisations"].items():
            (estimate,) = generalisation["modalities"]
            rows.append(_estimate_row(f"{label}, {GENERALISATION_LABELS[name]}", estimate))
    header = ("Figure of merit", "Estimate", "95% CI", "90% CI", "df", "p vs chance", "TOST p")
    return "<h3>Primary analysis (OR-Hillis, round 1)</h3>" + _table(header, rows)


def _estimate_row(label: str, estimate: dict) -> tuple:
    tost = estimate.get("tost_p")
    verdict = (
        ""
        if estimate.get("within_margin") is None
        else (" (within margin)" if estimate["within_margin"] else " (not shown within)")
    )
    return (
        label,
        _num(estimate["estimate"]),
        _interval(estimate["ci95"]),
        _interval(estimate["ci90"]),
        _num(estimate["df"], 1),
        _p(estimate["p_value"]),
        (_p(tost) + verdict) if tost is not None else "",
    )


def _components_table(analysis: dict, measure: str) -> str:
    if not analysis["computable"]:
        return ""
    components = analysis["per_modality_components"][0]
    rows = [
        ("Reader variance (between-reader)", _num(components["var_readers"], 6)),
        ("Error variance (case sampling, Var)", _num(components["var_error"], 6)),
        ("Covariance between readers (Cov2)", _num(components["cov2"], 6)),
        ("Mean square readers MS(R)", _num(components["ms_readers"], 6)),
        ("Readers / cases", f"{analysis['n_readers']} / {analysis['n_cases']}"),
    ]
    excluded = analysis["excluded_readers"]
    if excluded:
        rows.append(("Readers left out (too few judged cases)", ", ".join(excluded)))
    return f"<h3>Variance components ({measure})</h3>" + _table(("Quantity", "Value"), rows)


def _generators(analysis: dict) -> str:
    if not analysis["computable"]:
        return f'<h3>Generators</h3><p class="note">{_text(analysis["reason"])}.</p>'
    primary = random_readers(analysis)
    rows = [_estimate_row(estimate["name"], estimate) for estimate in primary["modalities"]]
    rows += [_estimate_row(f"difference {d['name']}", d) for d in primary["differences"]]
    test = primary["test"]
    note = (
        f'<p class="note">Equal accuracy of all generators: F = {_num(test["statistic"])} '
        f"on {test['ndf']} and {_num(test['ddf'], 1)} df, p {format_p(test['p_value'])}.</p>"
    )
    header = ("Generator", "Accuracy", "95% CI", "90% CI", "df", "p vs chance", "TOST p")
    return "<h3>Generators (OR-Hillis)</h3>" + _table(header, rows) + note


def _label_consistency(analysis: dict) -> str:
    title = "<h3>Consistency with the stated diagnosis</h3>"
    if not analysis["computable"]:
        return f'{title}<p class="note">{_text(analysis["reason"])}.</p>'
    primary = random_readers(analysis)
    rows = [
        (f"'Consistent' for {e['name']} ECGs", _num(e["estimate"]), _interval(e["ci95"]))
        for e in primary["modalities"]
    ]
    (difference,) = primary["differences"]
    rows.append(
        (
            "Difference real - synthetic",
            _num(difference["estimate"]),
            f"{_interval(difference['ci95'])}, p {format_p(difference['p_value'])}",
        )
    )
    return title + _table(("Quantity", "Share", "95% CI"), rows)


def _sample_size(plan: dict) -> str:
    title = "<h3>Sample size in readers x cases</h3>"
    if not plan["computable"]:
        return f'{title}<p class="note">{_text(plan["reason"])}.</p>'
    rows = [
        (row["n_readers"], _cases(row["cases_for_tost"]), _cases(row["cases_vs_chance"]))
        for row in plan["plans"]
    ]
    low, high = plan["margin"]
    header = (
        "Readers",
        f"Cases for TOST within {low:g}-{high:g} (true 0.5)",
        f"Cases to detect accuracy {high:g} against chance",
    )
    note = (
        f'<p class="note">Power {plan["power"]:g}, from this study\'s variance components '
        f"({plan['pilot_readers']} readers, {plan['pilot']['n_cases']} cases) as a pilot.</p>"
    )
    return title + _table(header, rows) + note


def _cases(value: int | None) -> str:
    return "not reachable" if value is None else str(value)


def _reader_table(design: str, section: dict) -> str:
    rows = []
    for reader, entry in section["by_reader"].items():
        first = entry["round_1"]
        accuracy = first["accuracy"]
        rows.append(
            (
                reader,
                accuracy["n"],
                _estimate(accuracy["accuracy"], accuracy["ci_low"], accuracy["ci_high"]),
                _p(accuracy["tost"]["p_value"]),
                _num(first["roc"]["auc"]),
                _num(_dprime(first)),
                _num(first["timing"]["median_s"], 1),
            )
        )
    header = ("Reader", "n", "Accuracy (95% CI)", "TOST p", "AUC", "d'", "Median time (s)")
    return f"<h3>Readers, round 1 ({_text(design)})</h3>" + _table(header, rows)


def _fast_readers(flags: list[dict]) -> str:
    if not flags:
        return '<p class="note">No reader decided implausibly fast.</p>'
    rows = [(f["reader"], _num(f["median_time_s"], 1), _num(f["threshold_s"], 1)) for f in flags]
    header = ("Reader", "Median time (s)", "Flag below (s)")
    return "<h3>Implausibly fast readers</h3>" + _table(header, rows)


def _strata_tables(strata: dict, measure: str) -> str:
    parts = []
    for name, groups in strata.items():
        rows = [
            (
                value,
                entry["n_readers"],
                entry["n_cases"],
                _num(entry["reader_averaged"].get("estimate")),
                _interval(entry["reader_averaged"].get("ci95")),
            )
            for value, entry in groups.items()
        ]
        header = (name.replace("_", " "), "Readers", "Cases", measure.capitalize(),
                  "95% CI (OR-Hillis)")  # fmt: skip
        parts.append(_table(header, rows))
    return "<h3>Breakdowns (round 1)</h3>" + "".join(parts)


def _case_table(cases: list[dict]) -> str:
    rows = [
        (
            case["case"],
            case["n_readers"],
            _num(case["share_right"]),
            _num(case["median_time_s"], 1),
            case["superclass"] or "",
            case["label_set"] or "",
            case["generator"] or "",
        )
        for case in cases
    ]
    header = ("Case", "Readers", "Share right", "Median time (s)", "Superclass", "Labels",
              "Generator")  # fmt: skip
    return "<h3>Cases, most often told apart first</h3>" + _table(header, rows)


def _unaware(unaware: dict) -> str:
    if not unaware:
        return ""
    rows = []
    for name, analysis in unaware.items():
        if not analysis["computable"]:
            rows.append((name.replace("_", " "), f"not computable: {analysis['reason']}", "", ""))
            continue
        primary = random_readers(analysis)
        real, synthetic = primary["modalities"]
        (difference,) = primary["differences"]
        rows.append(
            (
                name.replace("_", " "),
                f"{_num(real['estimate'])} {_interval(real['ci95'])}",
                f"{_num(synthetic['estimate'])} {_interval(synthetic['ci95'])}",
                f"{_num(difference['estimate'])} {_interval(difference['ci95'])}, "
                f"p {format_p(difference['p_value'])}",
            )
        )
    header = ("Rating", "Real ECGs", "Synthetic ECGs", "Real - synthetic")
    return "<h2>Unaware phase (before the reveal)</h2>" + _table(header, rows)


def _agreement_table(section: dict) -> str:
    rows = []
    for round_key, entry in section["agreement"].items():
        if not entry["computable"]:
            rows.append(
                (
                    f"round {round_key}",
                    entry["n_readers"],
                    entry["n_units"],
                    f"not computable: {entry['reason']}",
                    "",
                    "",
                    "",
                    "",
                )
            )
            continue
        pairwise = entry["pairwise_cohen"]
        rows.append(
            (
                f"round {round_key}",
                entry["n_readers"],
                entry["n_units"],
                _num(entry["fleiss_kappa"]),
                _interval(entry["fleiss_kappa_ci"]),
                _num(entry["krippendorff_alpha"]),
                _interval(entry["krippendorff_alpha_ci"]),
                f"{_num(pairwise['mean'])} ({pairwise['n_pairs_defined']} pairs)",
            )
        )
    header = (
        "Round",
        "Readers",
        "Cases",
        "Fleiss' kappa",
        "95% CI (bootstrap over cases)",
        "Krippendorff's alpha",
        "95% CI (bootstrap over cases)",
        "Mean pairwise Cohen's kappa",
    )
    return "<h3>Agreement between readers</h3>" + _table(header, rows)


def _repeatability(section: dict) -> str:
    entry = section["repeatability"]
    if not entry["computable"]:
        return f"<h3>Repeatability</h3><p>Not computable: {_text(entry['reason'])}.</p>"
    pooled = entry["pooled"]
    kappa, test = pooled["cohen_kappa"], pooled["mcnemar"]
    rows = [
        ("Repeated judgments", pooled["n_repeats"]),
        ("Same verdict both rounds", _num(pooled["agreement"])),
        (
            "Intra-rater Cohen's kappa (95% CI)",
            _estimate(kappa["kappa"], kappa["ci_low"], kappa["ci_high"]),
        ),
        (
            "Correct only in round 1 / only in round 2",
            f"{test['only_round_1_correct']} / {test['only_round_2_correct']}",
        ),
        ("Exact McNemar p", _num(test["p_value"], 4)),
    ]
    return "<h3>Repeatability (round 1 vs round 2)</h3>" + _table(("Quantity", "Value"), rows)


def _blinding(blinding: dict | None) -> str:
    if not blinding or not blinding.get("audit"):
        return "<h2>Blinding audit</h2><p>No blinding audit recorded for this study.</p>"
    audit = blinding["audit"]
    rows = [
        (
            channel["channel"],
            ", ".join(channel["features"]),
            channel["verdict"],
            _estimate(channel["accuracy"], *channel["accuracy_ci"]),
            _estimate(channel["auc"], *channel["auc_ci"]),
            _num(channel["auc_simultaneous_low"]),
        )
        for channel in audit["channels"]
    ]
    header = ("channel", "features", "verdict", "accuracy [95% CI]", "AUC [95% CI]",
              f"AUC lower bound (simultaneous, {audit['family_size']} channels)")  # fmt: skip
    leaking = audit["leaking_channels"]
    verdict = (
        f"<p><b>{_text(audit_verdict(audit))}</b></p>"
        if leaking
        else (f"<p>{_text(audit_verdict(audit))}</p>")
    )
    override = blinding.get("override")
    if override:
        verdict += (
            f"<p><b>Opened despite the audit</b> by {_text(override['by'] or 'unknown')}: "
            f"{_text(override['reason'])}</p>"
        )
    note = (
        f'<p class="note">{audit["n_panels"]} panels as readers receive them, audited '
        f"{_text(audit.get('audited_at', ''))}; cross-validated logistic regression per "
        "channel; a channel leaks when its AUC lower bound at the Bonferroni-adjusted level "
        "lies above 0.5 and a permutation test confirms it. Content channels (compressed "
        "size, value-grid occupancy) follow the waveform's amplitude and noise and never "
        "gate.</p>"
    )
    return "<h2>Blinding audit</h2>" + verdict + _table(header, rows) + note


def _methods(methods: dict) -> str:
    items = "".join(
        f"<li><b>{_text(key)}</b>: {_text(value)}</li>" for key, value in methods.items()
    )
    return f'<h2>Methods</h2><ul class="note">{items}</ul>'


def _table(header: tuple, rows: list[tuple]) -> str:
    head = "".join(f"<th>{_text(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_text(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _estimate(value: float | None, low: float | None, high: float | None) -> str:
    return f"{_num(value)} [{_num(low)}, {_num(high)}]"


def _interval(bounds: list | None) -> str:
    low, high = bounds or (None, None)
    return f"[{_num(low)}, {_num(high)}]"


def _p(value: float | None) -> str:
    """A p-value for a table cell: '< 0.0001' below 0.0001, else four decimals."""
    if value is None:
        return "n/a"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"
