"""Interactive Plotly figure of an ECG page: one millimetre axis pair, grid from axis lines."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ecg_render.layout import (
    CLIP_MARKER_DEPTH_MM,
    MAJOR_GRID_MM,
    MINOR_GRID_MM,
    Page,
    clip_band,
    footer_text,
    page_layout,
)
from ecg_render.options import RenderOptions
from ecg_render.style import Style
from ecg_render.traces import COORDINATE_SCALE, quantise, segment_trace, validate_signal


def plotly_figure(
    signal: np.ndarray, fs: float, options: RenderOptions | None = None
) -> dict[str, Any]:
    """Build a Plotly figure dict (``{"data": [...], "layout": {...}}``) of the ECG page.

    Coordinates are the SVG's millimetres (y pointing down), rounded to 0.01 mm; the
    1 mm and 5 mm grid are the axes' minor and major grid lines, so it stays continuous
    under zoom. On a clipping page one "clip markers" trace holds a bracket per segment
    and row edge as in the SVG, all None where nothing was clipped, so its length does
    not depend on the signal. There is no title and no metadata.
    """
    options = options or RenderOptions()
    page = page_layout(options)
    array, rate = validate_signal(signal, fs, page.duration_s)
    style = options.style
    line = {"color": style.trace_colour, "width": style.plotly_trace_width_px}
    data = [_marks_trace(page, line)]
    marker_xs: list[float | None] = []
    marker_ys: list[float | None] = []
    for segment in page.segments:
        xs, ys, above, below = segment_trace(array, rate, segment, page)
        data.append(_scatter(segment.label, _mm(xs), _mm(ys), line))
        top, bottom = clip_band(page.rows[segment.row])
        for clipped, edge, inward in ((above, top, 1.0), (below, bottom, -1.0)):
            where = np.flatnonzero(clipped)
            if where.size:
                first, last = _mm(xs[[where[0], where[-1]]])
                inner = _round(edge + inward * CLIP_MARKER_DEPTH_MM)
                marker_xs.extend([first, first, last, last, None])
                marker_ys.extend([inner, _round(edge), _round(edge), inner, None])
            else:
                marker_xs.extend([None] * 5)
                marker_ys.extend([None] * 5)
    if page.clip:
        colour = {"color": style.clip_marker_colour, "width": style.plotly_trace_width_px}
        data.append(_scatter("clip markers", marker_xs[:-1], marker_ys[:-1], colour))
    return {"data": data, "layout": _layout(page, style, rate)}


def plotly_json(signal: np.ndarray, fs: float, options: RenderOptions | None = None) -> str:
    """:func:`plotly_figure` serialised with sorted keys and no whitespace (deterministic)."""
    figure = plotly_figure(signal, fs, options)
    return json.dumps(figure, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _marks_trace(page: Page, line: dict[str, Any]) -> dict[str, Any]:
    """Calibration pulses and column separators as one trace with None breaks."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for polyline in page.calibrations:
        xs.extend([*(_round(x) for x, _ in polyline), None])
        ys.extend([*(_round(y) for _, y in polyline), None])
    for x, top, bottom in page.separators:
        xs.extend([_round(x), _round(x), None])
        ys.extend([_round(top), _round(bottom), None])
    return _scatter("marks", xs[:-1], ys[:-1], line)


def _scatter(
    name: str, xs: list[float | None], ys: list[float | None], line: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": xs,
        "y": ys,
        "line": dict(line),
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _layout(page: Page, style: Style, fs: float) -> dict[str, Any]:
    font = {"family": style.font_family, "color": style.text_colour}
    labels = [
        _annotation(segment.label_x_mm, segment.label_y_mm, segment.label, font, style)
        for segment in page.segments
    ]
    footer = _annotation(page.footer_x_mm, page.footer_y_mm, footer_text(page, fs), font, style)
    return {
        "xaxis": _axis(style, [0.0, _round(page.width_mm)]),
        # Reversed range: y grows downwards as on paper and in the SVG.
        "yaxis": {
            **_axis(style, [_round(page.height_mm), 0.0]),
            "scaleanchor": "x",
            "scaleratio": 1,
        },
        "annotations": [*labels, footer],
        "plot_bgcolor": style.background,
        "paper_bgcolor": style.background,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "showlegend": False,
        "hovermode": False,
        "dragmode": "zoom",
    }


def _axis(style: Style, axis_range: list[float]) -> dict[str, Any]:
    return {
        "range": axis_range,
        "tickmode": "linear",
        "tick0": 0,
        "dtick": MAJOR_GRID_MM,
        "showgrid": True,
        "gridcolor": style.major_grid_colour,
        "gridwidth": style.plotly_major_grid_width_px,
        "minor": {
            "tickmode": "linear",
            "tick0": 0,
            "dtick": MINOR_GRID_MM,
            "showgrid": True,
            "gridcolor": style.minor_grid_colour,
            "gridwidth": style.plotly_minor_grid_width_px,
        },
        "showticklabels": False,
        "ticks": "",
        "zeroline": False,
        "showline": False,
        "constrain": "domain",
    }


def _annotation(
    x: float, y: float, text: str, font: dict[str, str], style: Style
) -> dict[str, Any]:
    return {
        "x": _round(x),
        "y": _round(y),
        "xref": "x",
        "yref": "y",
        "text": text,
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "bottom",
        "font": {**font, "size": style.plotly_label_font_size_px},
        # The label halo of the SVG: a pale box so the trace never hides the text.
        "bgcolor": style.background,
    }


def _mm(hundredths: np.ndarray) -> list[float | None]:
    return (hundredths / COORDINATE_SCALE).tolist()


def _round(value_mm: float) -> float:
    return int(quantise(np.float64(value_mm))) / COORDINATE_SCALE
