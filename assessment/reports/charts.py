"""Plotly figures for the HTML report, built from a study summary and the judgment frame."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

DESIGN_TITLES = {
    "single": "Single ECG (real or synthetic?)",
    "paired": "Paired ECGs (which one is synthetic?)",
}
DESIGN_COLOURS = {"single": "#1f77b4", "paired": "#d62728"}
CHANCE_COLOUR = "#555555"
BAND_COLOUR = "rgba(44, 160, 44, 0.15)"


def forest_plot(summary: dict, design: str) -> go.Figure:
    """Per-reader accuracy with Clopper–Pearson CIs, the pooled bootstrap CI, chance and margin."""
    section = summary["designs"][design]
    readers = list(section["by_reader"])
    accuracies = [section["by_reader"][r]["all_rounds"]["accuracy"] for r in readers]
    pooled = section["all_rounds"]
    pooled_boot = pooled["bootstrap"]["accuracy"]
    labels = [*readers, "Pooled (reader x case bootstrap)"]
    values = [a["accuracy"] for a in accuracies] + [pooled_boot["estimate"]]
    lows = [a["ci_low"] for a in accuracies] + [pooled_boot["ci_low"]]
    highs = [a["ci_high"] for a in accuracies] + [pooled_boot["ci_high"]]
    counts = [a["n"] for a in accuracies] + [pooled["accuracy"]["n"]]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=values,
            y=labels,
            mode="markers",
            marker={
                "color": [DESIGN_COLOURS[design]] * len(readers) + ["black"],
                "symbol": ["square"] * len(readers) + ["diamond"],
                "size": 9,
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [_gap(h, v) for h, v in zip(highs, values, strict=True)],
                "arrayminus": [_gap(v, low) for v, low in zip(values, lows, strict=True)],
            },
            customdata=counts,
            hovertemplate="%{y}: %{x:.3f} (n=%{customdata})<extra></extra>",
            name="accuracy",
        )
    )
    low, high = summary["meta"]["margin"]
    figure.add_vrect(
        x0=low,
        x1=high,
        fillcolor=BAND_COLOUR,
        line_width=0,
        layer="below",
        annotation_text="equivalence margin",
        annotation_position="top left",
    )
    figure.add_vline(
        x=0.5,
        line_dash="dash",
        line_color=CHANCE_COLOUR,
        annotation_text="chance",
        annotation_position="bottom right",
    )
    figure.update_layout(
        title=f"Accuracy per reader: {DESIGN_TITLES[design]}",
        xaxis={"title": "accuracy (95% CI)", "range": [0, 1]},
        yaxis={"autorange": "reversed", "type": "category"},
        height=max(360, 22 * len(labels) + 140),
        showlegend=False,
    )
    return figure


def roc_chart(summary: dict) -> go.Figure:
    """Pooled ROC curve of the signed confidence ratings for each design."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="chance",
            line={"dash": "dash", "color": CHANCE_COLOUR},
        )
    )
    for design, section in summary["designs"].items():
        roc = section["all_rounds"]["roc"]
        if not roc["curve"]["fpr"]:
            continue
        figure.add_trace(
            go.Scatter(
                x=roc["curve"]["fpr"],
                y=roc["curve"]["tpr"],
                mode="lines+markers",
                name=f"{design}: AUC {_number(roc['auc'])} "
                f"[{_number(roc['ci_low'])}, {_number(roc['ci_high'])}]",
                line={"color": DESIGN_COLOURS[design]},
            )
        )
    figure.update_layout(
        title="ROC from confidence ratings (positive: synthetic / left is synthetic)",
        xaxis={"title": "false positive rate", "range": [0, 1], "constrain": "domain"},
        yaxis={
            "title": "true positive rate",
            "range": [0, 1],
            "scaleanchor": "x",
            "constrain": "domain",
        },
        height=480,
    )
    return figure


def stratum_chart(summary: dict, stratum: str = "superclass") -> go.Figure:
    """Accuracy per stratum value with reader x case bootstrap CIs, one bar group per design."""
    figure = go.Figure()
    for design, section in summary["designs"].items():
        groups = section["strata"][stratum]
        boots = [groups[value]["bootstrap"]["accuracy"] for value in groups]
        figure.add_trace(
            go.Bar(
                x=list(groups),
                y=[b["estimate"] for b in boots],
                name=design,
                marker_color=DESIGN_COLOURS[design],
                error_y=_ci_error_bars(boots),
            )
        )
    figure.add_hline(y=0.5, line_dash="dash", line_color=CHANCE_COLOUR)
    figure.update_layout(
        title=f"Accuracy by {stratum.replace('_', ' ')}",
        barmode="group",
        yaxis={"title": "accuracy (95% CI)", "range": [0, 1]},
        height=420,
    )
    return figure


def learning_chart(summary: dict) -> go.Figure:
    """Accuracy in round 1 vs round 2: thin lines per reader, pooled with bootstrap CI."""
    figure = go.Figure()
    for design, section in summary["designs"].items():
        colour = DESIGN_COLOURS[design]
        for reader, entry in section["by_reader"].items():
            rounds = list(entry["by_round"])
            figure.add_trace(
                go.Scatter(
                    x=[f"round {r}" for r in rounds],
                    y=[entry["by_round"][r]["accuracy"]["accuracy"] for r in rounds],
                    mode="lines",
                    line={"color": colour, "width": 0.6},
                    opacity=0.35,
                    name=reader,
                    legendgroup=design,
                    showlegend=False,
                    hoverinfo="name+y",
                )
            )
        rounds = list(section["by_round"])
        boots = [section["by_round"][r]["bootstrap"]["accuracy"] for r in rounds]
        figure.add_trace(
            go.Scatter(
                x=[f"round {r}" for r in rounds],
                y=[b["estimate"] for b in boots],
                mode="lines+markers",
                line={"color": colour, "width": 3},
                name=f"{design} pooled",
                legendgroup=design,
                error_y=_ci_error_bars(boots),
            )
        )
    figure.add_hline(y=0.5, line_dash="dash", line_color=CHANCE_COLOUR)
    figure.update_layout(
        title="Learning across rounds", height=420, yaxis={"title": "accuracy", "range": [0, 1]}
    )
    return figure


def time_chart(frame: pd.DataFrame) -> go.Figure:
    """Decision time per judgment as box plots by design and round."""
    figure = go.Figure()
    timed = frame.dropna(subset=["decision_time_s"])
    for design, rows in timed.groupby("design", sort=True):
        figure.add_trace(
            go.Box(
                x=[f"round {r}" for r in rows["round"]],
                y=rows["decision_time_s"].tolist(),
                name=str(design),
                marker_color=DESIGN_COLOURS.get(str(design)),
                boxpoints=False,
            )
        )
    figure.update_layout(
        title="Time per case",
        boxmode="group",
        height=420,
        yaxis={"title": "decision time (s)", "rangemode": "tozero"},
    )
    return figure


def _ci_error_bars(boots: list[dict]) -> dict:
    """Asymmetric error bars from bootstrap estimates and their CI bounds."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [_gap(b["ci_high"], b["estimate"]) for b in boots],
        "arrayminus": [_gap(b["estimate"], b["ci_low"]) for b in boots],
    }


def _gap(upper: float | None, lower: float | None) -> float:
    """Error-bar length; 0 where an end is undefined (no judgments)."""
    return 0.0 if upper is None or lower is None else max(0.0, upper - lower)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
