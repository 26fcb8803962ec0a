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


def forest_points(section: dict, design: str) -> list[tuple[str, int, float | None, list]]:
    """(label, judgments, estimate, [low, high]) per reader in round 1, then the OR-Hillis
    reader-averaged estimate (random readers and cases). Readers show the primary measure:
    share right with its Clopper–Pearson CI (paired), balanced accuracy with its case
    jackknife CI (single: share right would reward a leaning towards the commoner source)."""
    points = []
    for reader, entry in section["by_reader"].items():
        first = entry["round_1"]
        n = first["accuracy"]["n"]
        if design == "single":
            own = first["reader_averaged"]
            points.append((reader, n, own.get("estimate"), own.get("ci95") or [None, None]))
        else:
            share = first["accuracy"]
            points.append((reader, n, share["accuracy"], [share["ci_low"], share["ci_high"]]))
    pooled = section["round_1"]["reader_averaged"]
    points.append(
        (
            "All readers (OR-Hillis)",
            section["round_1"]["accuracy"]["n"],
            pooled.get("estimate"),
            pooled.get("ci95") or [None, None],
        )
    )
    return points


def forest_plot(summary: dict, design: str) -> go.Figure:
    """Round-1 primary measure per reader (:func:`forest_points`), the OR-Hillis
    reader-averaged one (random readers and cases), chance and the equivalence margin."""
    section = summary["designs"][design]
    points = forest_points(section, design)
    readers = [label for label, *_ in points[:-1]]
    labels = [label for label, *_ in points]
    values = [estimate for _, _, estimate, _ in points]
    lows = [ci[0] for *_, ci in points]
    highs = [ci[1] for *_, ci in points]
    counts = [n for _, n, _, _ in points]
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
            name=section["measure"],
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
        title=f"{section['measure'].capitalize()} per reader: {DESIGN_TITLES[design]}",
        xaxis={"title": f"{section['measure']} (95% CI)", "range": [0, 1]},
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
        roc = section["round_1"]["roc"]
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
    """Round-1 accuracy per stratum value with OR-Hillis CIs, one bar group per design."""
    figure = go.Figure()
    for design, section in summary["designs"].items():
        groups = section["strata"][stratum]
        estimates = [groups[value]["reader_averaged"] for value in groups]
        figure.add_trace(
            go.Bar(
                x=list(groups),
                y=[e.get("estimate") for e in estimates],
                name=design,
                marker_color=DESIGN_COLOURS[design],
                error_y=_ci_error_bars(estimates),
            )
        )
    figure.add_hline(y=0.5, line_dash="dash", line_color=CHANCE_COLOUR)
    figure.update_layout(
        title=f"Accuracy by {stratum.replace('_', ' ')} (balanced for single ECGs)",
        barmode="group",
        yaxis={"title": "accuracy (95% CI)", "range": [0, 1]},
        height=420,
    )
    return figure


def learning_chart(summary: dict) -> go.Figure:
    """Reader-averaged accuracy (OR-Hillis CI) in round 1 and in round 2 (the repeats)."""
    figure = go.Figure()
    for design, section in summary["designs"].items():
        rounds = list(section["by_round"])
        estimates = [section["by_round"][r]["reader_averaged"] for r in rounds]
        figure.add_trace(
            go.Scatter(
                x=[f"round {r}" for r in rounds],
                y=[e.get("estimate") for e in estimates],
                mode="lines+markers",
                line={"color": DESIGN_COLOURS[design], "width": 3},
                name=design,
                error_y=_ci_error_bars(estimates),
            )
        )
    figure.add_hline(y=0.5, line_dash="dash", line_color=CHANCE_COLOUR)
    figure.update_layout(
        title="Round 1 and its repeats (round 2); accuracy balanced for single ECGs",
        height=420,
        yaxis={"title": "accuracy", "range": [0, 1]},
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


def _ci_error_bars(estimates: list[dict]) -> dict:
    """Asymmetric error bars from OR-Hillis estimates and their 95% CIs (0 where undefined)."""
    intervals = [e.get("ci95") or [None, None] for e in estimates]
    return {
        "type": "data",
        "symmetric": False,
        "array": [
            _gap(ci[1], e.get("estimate")) for e, ci in zip(estimates, intervals, strict=True)
        ],
        "arrayminus": [
            _gap(e.get("estimate"), ci[0]) for e, ci in zip(estimates, intervals, strict=True)
        ],
    }


def _gap(upper: float | None, lower: float | None) -> float:
    """Error-bar length; 0 where an end is undefined (no judgments)."""
    return 0.0 if upper is None or lower is None else max(0.0, upper - lower)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
