"""Page geometry in millimetres: rows, lead segments, calibration pulses and grid lines."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ecg_render.options import RenderOptions

DURATION_S = 10.0
PAGE_MARGIN_MM = 5.0
FOOTER_HEIGHT_MM = 10.0
MIN_ROW_HEIGHT_MM = 20.0
CALIBRATION_MV = 1.0
CALIBRATION_PULSE_S = 0.2
# Flat baseline drawn before and after the pulse, so it reads as a step, not a box.
CALIBRATION_LEAD_S = 0.1
SEPARATOR_HALF_HEIGHT_MM = 4.0
LABEL_INSET_MM = 1.0
# Labels sit this fraction of the row height below the row top (1.2 mV above a 4 mV row).
LABEL_DROP_FRACTION = 0.2
MINOR_GRID_MM = 1.0
MAJOR_GRID_MM = 5.0
INVERTED_PREFIX = "-"
MINUS_SIGN = "\u2212"
FOOTER_SEPARATOR = "\u2003\u2003"

# Rows of each layout, as lead names per row; a row's cells share the 10 s equally and
# follow each other in time. "-aVR" is aVR inverted (Cabrera sequence).
LAYOUT_ROWS: dict[str, tuple[tuple[str, ...], ...]] = {
    "3x4+R": (
        ("I", "aVR", "V1", "V4"),
        ("II", "aVL", "V2", "V5"),
        ("III", "aVF", "V3", "V6"),
    ),
    "6x2": (
        ("I", "V1"),
        ("II", "V2"),
        ("III", "V3"),
        ("aVR", "V4"),
        ("aVL", "V5"),
        ("aVF", "V6"),
    ),
    "12x1": tuple(
        (lead,)
        for lead in ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    ),
    "cabrera": (
        ("aVL", "V1"),
        ("I", "V2"),
        ("-aVR", "V3"),
        ("II", "V4"),
        ("aVF", "V5"),
        ("III", "V6"),
    ),
}
# Row height in millivolts (times the gain gives millimetres): the 3x4 format has room
# for 2 mV either side of the baseline, the denser formats for 1.5 mV.
ROW_SPAN_MV: dict[str, float] = {"3x4+R": 4.0, "6x2": 3.0, "12x1": 3.0, "cabrera": 3.0}


@dataclass(frozen=True)
class Row:
    """A horizontal band of the page; ``baseline_mm`` is where 0 mV is drawn."""

    index: int
    top_mm: float
    bottom_mm: float
    baseline_mm: float


@dataclass(frozen=True)
class Segment:
    """One lead drawn over one time window; ``x_mm`` is where ``start_s`` lies."""

    label: str
    lead: str
    inverted: bool
    row: int
    start_s: float
    end_s: float
    x_mm: float
    baseline_mm: float
    label_x_mm: float
    label_y_mm: float


@dataclass(frozen=True)
class Page:
    """Everything a writer needs to place, in millimetres from the page's top-left corner."""

    width_mm: float
    height_mm: float
    trace_left_mm: float
    speed_mm_s: float
    gain_mm_mv: float
    rows: tuple[Row, ...]
    segments: tuple[Segment, ...]
    separators: tuple[tuple[float, float, float], ...]  # (x, y_top, y_bottom)
    calibrations: tuple[tuple[tuple[float, float], ...], ...]  # one polyline per row
    footer_x_mm: float
    footer_y_mm: float


def layout_rows(options: RenderOptions) -> tuple[tuple[str, ...], ...]:
    """The lead names of each row, including the rhythm strip of ``3x4+R``."""
    rows = LAYOUT_ROWS[options.layout]
    if options.layout == "3x4+R":
        rows = (*rows, (options.rhythm_lead,))
    return rows


def row_height_mm(options: RenderOptions) -> float:
    """Row pitch: the layout's span in mV at the chosen gain, in whole 5 mm squares."""
    span = max(ROW_SPAN_MV[options.layout] * options.gain_mm_mv, MIN_ROW_HEIGHT_MM)
    return math.ceil(span / MAJOR_GRID_MM) * MAJOR_GRID_MM


def page_layout(options: RenderOptions) -> Page:
    """Compute the geometry of a page for ``options`` (independent of the signal)."""
    speed = float(options.speed_mm_s)
    gain = float(options.gain_mm_mv)
    calibration_width = (2 * CALIBRATION_LEAD_S + CALIBRATION_PULSE_S) * speed
    trace_left = PAGE_MARGIN_MM + calibration_width
    trace_width = DURATION_S * speed
    height = row_height_mm(options)
    rows: list[Row] = []
    segments: list[Segment] = []
    separators: list[tuple[float, float, float]] = []
    calibrations: list[tuple[tuple[float, float], ...]] = []
    for index, leads in enumerate(layout_rows(options)):
        top = PAGE_MARGIN_MM + index * height
        baseline = top + height / 2
        rows.append(Row(index, top, top + height, baseline))
        calibrations.append(_calibration_polyline(PAGE_MARGIN_MM, baseline, speed, gain))
        cell_s = DURATION_S / len(leads)
        for column, name in enumerate(leads):
            start = column * cell_s
            x = trace_left + start * speed
            inverted = name.startswith(INVERTED_PREFIX)
            lead = name.removeprefix(INVERTED_PREFIX)
            label = MINUS_SIGN + lead if inverted else lead
            segments.append(
                Segment(
                    label=label,
                    lead=lead,
                    inverted=inverted,
                    row=index,
                    start_s=start,
                    end_s=start + cell_s,
                    x_mm=x,
                    baseline_mm=baseline,
                    label_x_mm=x + LABEL_INSET_MM,
                    label_y_mm=top + LABEL_DROP_FRACTION * height,
                )
            )
            if column > 0:
                separators.append(
                    (x, baseline - SEPARATOR_HALF_HEIGHT_MM, baseline + SEPARATOR_HALF_HEIGHT_MM)
                )
    page_height = PAGE_MARGIN_MM + len(rows) * height + FOOTER_HEIGHT_MM
    return Page(
        width_mm=trace_left + trace_width + PAGE_MARGIN_MM,
        height_mm=page_height,
        trace_left_mm=trace_left,
        speed_mm_s=speed,
        gain_mm_mv=gain,
        rows=tuple(rows),
        segments=tuple(segments),
        separators=tuple(separators),
        calibrations=tuple(calibrations),
        footer_x_mm=PAGE_MARGIN_MM,
        footer_y_mm=page_height - FOOTER_HEIGHT_MM / 2 + 1.0,
    )


def _calibration_polyline(
    x0: float, baseline: float, speed: float, gain: float
) -> tuple[tuple[float, float], ...]:
    rise = x0 + CALIBRATION_LEAD_S * speed
    fall = rise + CALIBRATION_PULSE_S * speed
    top = baseline - CALIBRATION_MV * gain
    end = fall + CALIBRATION_LEAD_S * speed
    return ((x0, baseline), (rise, baseline), (rise, top), (fall, top), (fall, baseline),
            (end, baseline))  # fmt: skip


def grid_positions(length_mm: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Minor (1 mm, excluding major) and major (5 mm) line positions from 0 to ``length_mm``."""
    count = int(round(length_mm / MINOR_GRID_MM))
    per_major = int(round(MAJOR_GRID_MM / MINOR_GRID_MM))
    minor = tuple(i * MINOR_GRID_MM for i in range(count + 1) if i % per_major)
    major = tuple(i * MINOR_GRID_MM for i in range(count + 1) if i % per_major == 0)
    return minor, major


def footer_text(page: Page, fs: float) -> str:
    """Speed, gain and sampling rate, the only annotation a reader sees."""
    # Em spaces, because SVG collapses runs of ordinary spaces.
    parts = (f"{page.speed_mm_s:g} mm/s", f"{page.gain_mm_mv:g} mm/mV", f"{fs:g} Hz")
    return FOOTER_SEPARATOR.join(parts)
