"""The machine-realism section of the report and the dashboard: each evaluated generator's
TSTR/TRTS/TRTR macro metrics (``generator.realism``) beside the physicians' accuracy on its
ECGs, as a table and a Plotly chart (physicians' accuracy against TSTR AUC), plain data in."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from assessment.reports.charts import CHANCE_COLOUR, DESIGN_COLOURS, DESIGN_TITLES
from assessment.reports.table import Cell, Row, Table, number, table_html
from assessment.stats.summary import random_readers

TITLE = "Machine realism beside the physicians"


def realism_rows(summary: dict, evaluations: list[dict], study_generators: set[str]) -> list[dict]:
    """One row per design and evaluated generator: the readers' round-1 accuracy on that
    generator's cases (OR-Hillis; the design's reader-averaged accuracy when the study has
    one generator; ``None`` when unknown) and the evaluation's macro metrics."""
    designs = summary["designs"] or {None: None}
    rows = []
    for design, section in designs.items():
        human = _human_accuracy(section, study_generators) if section else {}
        for evaluation in evaluations:
            metrics = evaluation["metrics"]
            estimate = human.get(evaluation["generator"], {})
            rows.append(
                {
                    "design": design,
                    "generator": evaluation["generator"],
                    "evaluation": evaluation["id"],
                    "readers_accuracy": estimate.get("estimate"),
                    "readers_ci95": estimate.get("ci95"),
                    "generator_warning": (evaluation.get("generator_training") or {}).get(
                        "warning", ""
                    ),
                    **{
                        f"{kind}_{m}": metrics[kind]["macro"][m]
                        for kind in ("tstr", "trts", "trtr")
                        for m in ("auc", "f1", "g_mean")
                    },
                }
            )
    return rows


def _human_accuracy(section: dict, study_generators: set[str]) -> dict[str, dict]:
    by_generator = section["primary"]["by_generator"]
    if by_generator["computable"]:
        return {m["name"]: m for m in random_readers(by_generator)["modalities"]}
    if len(study_generators) != 1:
        return {}
    averaged = section["round_1"]["reader_averaged"]
    if averaged["computable"]:
        estimate = {"estimate": averaged["estimate"], "ci95": averaged.get("ci95")}
    else:
        share = section["round_1"]["accuracy"]
        estimate = {"estimate": share["accuracy"], "ci95": [share["ci_low"], share["ci_high"]]}
    return {next(iter(study_generators)): estimate}


HEAD = (
    "design", "generator", "evaluation", "physicians' accuracy [95% CI]", "TSTR AUC",
    "TSTR F1", "TSTR G-mean", "TRTS AUC", "TRTR AUC",
)  # fmt: skip
NOTE = (
    "A 1-D CNN classifies the five PTB-XL diagnostic superclasses (macro averages over "
    "classes; F1 and G-mean at probability 0.5). TSTR: trained on the generator's ECGs, "
    "tested on held-out real ECGs; TRTS: trained on real, tested on synthetic; TRTR (trained "
    "and tested on real ECGs) is the ceiling. A TSTR AUC near 0.5 means the synthetic ECGs "
    "carry none of their labels' features; physicians' accuracy near 0.5 means they could "
    "not tell the sources apart."
)
EMPTY = "No realism evaluation of the study's synthetic origins is recorded."
METRIC_CELLS = (
    ("tstr_auc", "tstr-auc"), ("tstr_f1", "tstr-f1"), ("tstr_g_mean", "tstr-g-mean"),
    ("trts_auc", "trts-auc"), ("trtr_auc", "trtr-auc"),
)  # fmt: skip


def realism_table(rows: list[dict]) -> Table:
    """``realism_rows`` as a table: per design and generator, the readers' accuracy (95% CI)
    beside the evaluation's macro metrics."""
    return Table("realism", TITLE, HEAD, tuple(_table_row(row) for row in rows), (NOTE,), EMPTY)


def design_title(design: str | None) -> str:
    """How a row names its design ('no judgments yet' before the first judgment)."""
    return DESIGN_TITLES.get(design, design) if design else "no judgments yet"


def realism_html(rows: list[dict]) -> str:
    """The table as the exported report shows it, with a caveat for each evaluation whose
    generator's training folds are unknown or overlap its test folds."""
    warnings = {row["evaluation"]: row for row in rows if row["generator_warning"]}
    caveats = "".join(
        f'<p class="note">Evaluation {row["evaluation"]} ({html.escape(row["generator"])}): '
        f"{html.escape(row['generator_warning'])}.</p>"
        for row in warnings.values()
    )
    return table_html(realism_table(rows)) + caveats


def _table_row(row: dict) -> Row:
    low, high = row["readers_ci95"] or (None, None)
    accuracy = row["readers_accuracy"]
    readers = "n/a" if accuracy is None else f"{number(accuracy)} [{number(low)}, {number(high)}]"
    return Row(
        (
            Cell(design_title(row["design"])),
            Cell(row["generator"]),
            Cell(str(row["evaluation"])),
            Cell(readers, "readers-accuracy"),
            *(Cell(number(row[key]), css) for key, css in METRIC_CELLS),
        ),
        {"generator": row["generator"], "design": row["design"] or ""},
    )


def realism_chart(rows: list[dict]) -> go.Figure:
    """Physicians' accuracy (95% CI) against TSTR macro AUC, one marker per design and
    generator, with both chance levels."""
    figure = go.Figure()
    for design in sorted({row["design"] for row in rows if row["readers_accuracy"] is not None}):
        points = [r for r in rows if r["design"] == design and r["readers_accuracy"] is not None]
        cis = [_bounds(r) for r in points]
        figure.add_trace(
            go.Scatter(
                x=[r["tstr_auc"] for r in points],
                y=[r["readers_accuracy"] for r in points],
                mode="markers+text",
                text=[r["generator"] for r in points],
                textposition="top center",
                marker={"color": DESIGN_COLOURS.get(design, "black"), "size": 10},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [
                        h - r["readers_accuracy"] for r, (_, h) in zip(points, cis, strict=True)
                    ],
                    "arrayminus": [
                        r["readers_accuracy"] - lo for r, (lo, _) in zip(points, cis, strict=True)
                    ],
                },
                hovertemplate="%{text}: TSTR AUC %{x:.3f}, accuracy %{y:.3f}<extra></extra>",
                name=design,
            )
        )
    for line in (figure.add_hline, figure.add_vline):
        line(0.5, line_dash="dot", line_color=CHANCE_COLOUR)
    figure.update_layout(
        title="Physicians' accuracy vs TSTR AUC per generator",
        xaxis={"title": "TSTR macro ROC-AUC (machine)", "range": [0.0, 1.0]},
        yaxis={"title": "physicians' accuracy (round 1)", "range": [0.0, 1.0]},
        height=420,
    )
    return figure


def _bounds(row: dict) -> tuple[float, float]:
    """The readers' 95% CI, collapsed onto the estimate where a bound is missing."""
    low, high = row["readers_ci95"] or (None, None)
    estimate = row["readers_accuracy"]
    return (estimate if low is None else low, estimate if high is None else high)
