"""Self-contained HTML report: tables of the main numbers and Plotly charts, plotly.js inlined."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from assessment.reports import charts
from assessment.stats.frame import validate

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; }
.chart { margin: 1rem 0 2rem; }
.note { color: #666; font-size: 0.85rem; }
"""


def render_html_report(
    summary: dict,
    judgments: pd.DataFrame,
    title: str = "Reader study report",
    blinding: dict | None = None,
) -> str:
    """The full report as one HTML string (no external resources); ``blinding`` is the
    study's blinding audit with how it was opened (see ``study_blinding``)."""
    frame = validate(judgments)
    sections = [f"<h1>{_text(title)}</h1>", _overview(summary), _blinding(blinding)]
    if not summary["designs"]:
        sections.append("<p>No judgments recorded yet: nothing to analyse.</p>")
    for design, section in summary["designs"].items():
        sections.append(f"<h2>{_text(charts.DESIGN_TITLES[design])}</h2>")
        sections.append(_main_numbers(design, section))
        sections.append(_chart(charts.forest_plot(summary, design), f"forest-{design}"))
        sections.append(_reader_table(design, section))
        sections.append(_agreement_table(section))
        sections.append(_repeatability(section))
    if summary["designs"]:
        sections.append("<h2>Across designs</h2>")
        sections.append(_chart(charts.roc_chart(summary), "roc"))
        sections.append(_chart(charts.stratum_chart(summary, "superclass"), "superclass"))
        sections.append(_chart(charts.learning_chart(summary), "learning"))
        sections.append(_chart(charts.time_chart(frame), "time"))
    sections.append(_label_consistency(summary["label_consistency"]["all"]))
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
    meta, size = summary["meta"], summary["sample_size"]
    overall = summary["overall_accuracy"]
    rows = [
        ("Judgments", meta["n_judgments"]),
        ("Readers", meta["n_readers"]),
        ("Cases", meta["n_cases"]),
        ("Designs", ", ".join(meta["designs"]) or "none"),
        ("Rounds", ", ".join(str(r) for r in meta["rounds"]) or "none"),
        (
            "Overall accuracy (95% CI)",
            _estimate(overall["accuracy"], overall["ci_low"], overall["ci_high"]),
        ),
        ("Equivalence margin", f"{meta['margin'][0]:g} to {meta['margin'][1]:g}"),
        (
            f"Judgments needed for TOST power {size['power']:g}",
            f"{size['judgments_needed_exact']} exact "
            f"({size['judgments_needed_normal_approximation']} normal approximation)",
        ),
        ("Bootstrap replicates / seed", f"{meta['n_boot']} / {meta['seed']}"),
    ]
    return "<h2>Overview</h2>" + _table(("Quantity", "Value"), rows)


def _main_numbers(design: str, section: dict) -> str:
    whole = section["all_rounds"]
    accuracy, boot = whole["accuracy"], whole["bootstrap"]
    rows = [
        ("Judgments", accuracy["n"]),
        (
            "Accuracy, Clopper-Pearson 95% CI",
            _estimate(accuracy["accuracy"], accuracy["ci_low"], accuracy["ci_high"]),
        ),
        (
            "Accuracy, reader x case bootstrap CI",
            _estimate(
                boot["accuracy"]["estimate"],
                boot["accuracy"]["ci_low"],
                boot["accuracy"]["ci_high"],
            ),
        ),
        ("p (exact binomial vs 0.5)", _num(accuracy["p_vs_chance"], 4)),
        (
            "TOST p (equivalent?)",
            f"{_num(accuracy['tost']['p_value'], 4)} "
            f"({'yes' if accuracy['tost']['equivalent'] else 'no'})",
        ),
        (
            "ROC AUC, DeLong 95% CI",
            _estimate(whole["roc"]["auc"], whole["roc"]["ci_low"], whole["roc"]["ci_high"])
            + f" (n={whole['roc']['n_used']}, {whole['roc']['n_missing_confidence']} without "
            "confidence)",
        ),
        ("d'", _num(_dprime(whole))),
        ("Median decision time (s)", _num(whole["timing"]["median_s"], 1)),
    ]
    if design == "single":
        detection = whole["detection"]
        rows += [
            ("Sensitivity for synthetic", _rate(detection["sensitivity"])),
            ("Specificity", _rate(detection["specificity"])),
            ("Error on real (bootstrap CI)", _boot(boot["error_on_real"])),
            ("Error on synthetic (bootstrap CI)", _boot(boot["error_on_synthetic"])),
            ("Criterion c", _num(detection["signal_detection"]["criterion_c"])),
        ]
    return _table(("Quantity", "Value"), rows)


def _reader_table(design: str, section: dict) -> str:
    rows = []
    for reader, entry in section["by_reader"].items():
        whole = entry["all_rounds"]
        accuracy = whole["accuracy"]
        rows.append(
            (
                reader,
                accuracy["n"],
                _estimate(accuracy["accuracy"], accuracy["ci_low"], accuracy["ci_high"]),
                _num(accuracy["tost"]["p_value"], 4),
                _num(whole["roc"]["auc"]),
                _num(_dprime(whole)),
                _num(whole["timing"]["median_s"], 1),
            )
        )
    header = ("Reader", "n", "Accuracy (95% CI)", "TOST p", "AUC", "d'", "Median time (s)")
    return f"<h3>Readers ({_text(design)})</h3>" + _table(header, rows)


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
                _num(entry["krippendorff_alpha"]),
                f"{_num(pairwise['mean'])} ({pairwise['n_pairs_defined']} pairs)",
            )
        )
    header = (
        "Round",
        "Readers",
        "Cases",
        "Fleiss' kappa",
        "Krippendorff's alpha",
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


def _label_consistency(entry: dict) -> str:
    rows = [
        (f"'Consistent' for {source} ECGs", f"{_rate(entry[source])} (n={entry[source]['n']})")
        for source in ("real", "synthetic")
    ]
    if entry["computable"]:
        rows += [
            (
                "Difference real - synthetic (Newcombe CI)",
                _estimate(
                    entry["difference_real_minus_synthetic"],
                    entry["difference_ci_low"],
                    entry["difference_ci_high"],
                ),
            ),
            ("Fisher exact p", _num(entry["fisher_p_value"], 4)),
        ]
    else:
        rows.append(("Comparison", f"not computable: {entry['reason']}"))
    return "<h2>Consistency with the stated diagnosis</h2>" + _table(("Quantity", "Value"), rows)


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
        f"<p><b>Leaking channels: {_text(', '.join(leaking))}.</b></p>"
        if leaking
        else "<p>No channel tells real from synthetic panels better than chance.</p>"
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


def _rate(entry: dict) -> str:
    return _estimate(entry["rate"], entry["ci_low"], entry["ci_high"])


def _boot(entry: dict) -> str:
    return _estimate(entry["estimate"], entry["ci_low"], entry["ci_high"])
