"""Page geometry in millimetres: rows, lead segments, calibration pulses and grid lines."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ecg_render.options import MAX_ROW_HEIGHT_MM, MIN_ROW_HEIGHT_MM, RenderOptions

# The longest window a page shows (10 s at 25 mm/s); RenderOptions.duration_s is the
# window of a given page.
DURATION_S = 10.0
PAGE_MARGIN_MM = 5.0
FOOTER_HEIGHT_MM = 10.0
CALIBRATION_MV = 1.0
CALIBRATION_PULSE_S = 0.2
# Flat baseline drawn before and after the pulse, so it reads as a step, not a box.
CALIBRATION_LEAD_S = 0.1
SEPARATOR_HALF_HEIGHT_MM = 4.0
LABEL_INSET_MM = 1.0
# Labels sit this fraction of the row height below the row top (1.2 mV above a 4 mV row).
LABEL_DROP_FRACTION = 0.2
# A label's halo box: an upper bound of DejaVu Sans' advance per character (em) and the
# room around the glyphs, so the box always covers the text.
LABEL_ADVANCE_EM = 0.72
LABEL_ASCENT_EM = 0.8
LABEL_DESCENT_EM = 0.25
LABEL_HALO_PAD_MM = 0.4
# A clipped trace is flattened this far inside its row band, so it never touches the
# clipped trace of the next row; the clip marker is a bracket this deep into the band.
CLIP_INSET_MM = 0.5
CLIP_MARKER_DEPTH_MM = 1.5
# A row fitted to tall complexes grows to at most 1.5 times the layout's default (60 mm
# for 3x4 at 10 mm/mV, room for +-2.95 mV), so one extreme ECG cannot stretch every page.
ROW_GROWTH_LIMIT = 1.5
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
# 12x1 rows get 2 mV, so twelve rows fit one page (clipping or a fitted row height keeps
# taller complexes from overlapping silently).
ROW_SPAN_MV: dict[str, float] = {"3x4+R": 4.0, "6x2": 3.0, "12x1": 2.0, "cabrera": 3.0}


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
    gain_mm_mv: float
    label_box: tuple[float, float, float, float]  # halo (x0, y0, x1, y1) behind the label


@dataclass(frozen=True)
class Page:
    """Everything a writer needs to place, in millimetres from the page's top-left corner."""

    width_mm: float
    height_mm: float
    trace_left_mm: float
    speed_mm_s: float
    gain_mm_mv: float
    chest_gain_mm_mv: float | None
    duration_s: float
    rows: tuple[Row, ...]
    segments: tuple[Segment, ...]
    separators: tuple[tuple[float, float, float], ...]  # (x, y_top, y_bottom)
    calibrations: tuple[tuple[tuple[float, float], ...], ...]  # one polyline per row
    footer_x_mm: float
    footer_y_mm: float
    label_font_size_mm: float
    clip: bool
    filter_band_hz: tuple[float, float] | None


def layout_rows(options: RenderOptions) -> tuple[tuple[str, ...], ...]:
    """The lead names of each row, including the rhythm strip of ``3x4+R``."""
    rows = LAYOUT_ROWS[options.layout]
    if options.layout == "3x4+R":
        rows = (*rows, (options.rhythm_lead,))
    return rows


def row_height_mm(options: RenderOptions) -> float:
    """Row pitch: ``options.row_height_mm``, or the layout's span in mV at the largest gain
    of the page, in whole 5 mm squares."""
    if options.row_height_mm is not None:
        return float(options.row_height_mm)
    gain = max(options.lead_gain(lead) for row in layout_rows(options) for lead in row)
    span = max(ROW_SPAN_MV[options.layout] * gain, MIN_ROW_HEIGHT_MM)
    return _whole_squares(span)


def row_height_for_extent(extent_mm: float, options: RenderOptions) -> float:
    """The row pitch that holds a trace reaching ``extent_mm`` above or below its baseline
    (see :func:`ecg_render.traces.trace_extent_mm`) inside its clip band: at least the
    layout's default, at most :data:`ROW_GROWTH_LIMIT` times it (and
    :data:`~ecg_render.options.MAX_ROW_HEIGHT_MM`), beyond which clipping takes over."""
    if isinstance(extent_mm, bool) or not (
        isinstance(extent_mm, int | float) and math.isfinite(extent_mm) and extent_mm >= 0
    ):
        raise ValueError(f"trace extent must be a finite number of mm >= 0, got {extent_mm!r}")
    default = row_height_mm(replace(options, row_height_mm=None))
    needed = _whole_squares(2 * (extent_mm + CLIP_INSET_MM))
    limit = min(_whole_squares(ROW_GROWTH_LIMIT * default), MAX_ROW_HEIGHT_MM)
    return min(max(default, needed), limit)


def _whole_squares(length_mm: float) -> float:
    # Rounded first, so 40.000000001 mm of float noise does not cost a whole square.
    return math.ceil(round(length_mm / MAJOR_GRID_MM, 9)) * MAJOR_GRID_MM


def page_layout(options: RenderOptions) -> Page:
    """Compute the geometry of a page for ``options`` (independent of the signal)."""
    speed = float(options.speed_mm_s)
    duration = options.duration_s
    calibration_width = (2 * CALIBRATION_LEAD_S + CALIBRATION_PULSE_S) * speed
    trace_left = PAGE_MARGIN_MM + calibration_width
    trace_width = duration * speed
    height = row_height_mm(options)
    font = options.style.label_font_size_mm
    rows: list[Row] = []
    segments: list[Segment] = []
    separators: list[tuple[float, float, float]] = []
    calibrations: list[tuple[tuple[float, float], ...]] = []
    for index, leads in enumerate(layout_rows(options)):
        top = PAGE_MARGIN_MM + index * height
        baseline = top + height / 2
        rows.append(Row(index, top, top + height, baseline))
        gains = tuple(options.lead_gain(name.removeprefix(INVERTED_PREFIX)) for name in leads)
        calibrations.append(_calibration_polyline(PAGE_MARGIN_MM, baseline, speed, gains))
        cell_s = duration / len(leads)
        for column, name in enumerate(leads):
            start = column * cell_s
            x = trace_left + start * speed
            inverted = name.startswith(INVERTED_PREFIX)
            lead = name.removeprefix(INVERTED_PREFIX)
            label = MINUS_SIGN + lead if inverted else lead
            label_x, label_y = x + LABEL_INSET_MM, top + LABEL_DROP_FRACTION * height
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
                    label_x_mm=label_x,
                    label_y_mm=label_y,
                    gain_mm_mv=options.lead_gain(lead),
                    label_box=label_box(label, label_x, label_y, font),
                )
            )
            if column > 0:
                separators.append(
                    (x, baseline - SEPARATOR_HALF_HEIGHT_MM, baseline + SEPARATOR_HALF_HEIGHT_MM)
                )
    page_height = PAGE_MARGIN_MM + len(rows) * height + FOOTER_HEIGHT_MM
    chest = options.chest_gain_mm_mv
    return Page(
        width_mm=trace_left + trace_width + PAGE_MARGIN_MM,
        height_mm=page_height,
        trace_left_mm=trace_left,
        speed_mm_s=speed,
        gain_mm_mv=float(options.gain_mm_mv),
        chest_gain_mm_mv=None if chest is None else float(chest),
        duration_s=duration,
        rows=tuple(rows),
        segments=tuple(segments),
        separators=tuple(separators),
        calibrations=tuple(calibrations),
        footer_x_mm=PAGE_MARGIN_MM,
        footer_y_mm=page_height - FOOTER_HEIGHT_MM / 2 + 1.0,
        label_font_size_mm=font,
        clip=options.clip,
        filter_band_hz=options.filter_band_hz,
    )


def label_box(
    label: str, x: float, y: float, font_size_mm: float
) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a halo that covers ``label`` drawn with its baseline at (x, y)."""
    width = len(label) * LABEL_ADVANCE_EM * font_size_mm
    return (
        x - LABEL_HALO_PAD_MM,
        y - LABEL_ASCENT_EM * font_size_mm - LABEL_HALO_PAD_MM,
        x + width + LABEL_HALO_PAD_MM,
        y + LABEL_DESCENT_EM * font_size_mm + LABEL_HALO_PAD_MM,
    )


def clip_band(row: Row) -> tuple[float, float]:
    """(top, bottom) in mm between which a clipped trace of ``row`` stays."""
    return row.top_mm + CLIP_INSET_MM, row.bottom_mm - CLIP_INSET_MM


def _calibration_polyline(
    x0: float, baseline: float, speed: float, gains: tuple[float, ...]
) -> tuple[tuple[float, float], ...]:
    """A 1 mV pulse at the row's gain; a row of two gains (split gain) gets a stepped pulse,
    the first half at the gain of the row's first lead, the second at the other."""
    rise = x0 + CALIBRATION_LEAD_S * speed
    fall = rise + CALIBRATION_PULSE_S * speed
    end = fall + CALIBRATION_LEAD_S * speed
    first = gains[0]
    others = [gain for gain in gains if gain != first]
    top = baseline - CALIBRATION_MV * first
    if not others:
        return ((x0, baseline), (rise, baseline), (rise, top), (fall, top), (fall, baseline),
                (end, baseline))  # fmt: skip
    step = (rise + fall) / 2
    second = baseline - CALIBRATION_MV * others[0]
    return ((x0, baseline), (rise, baseline), (rise, top), (step, top), (step, second),
            (fall, second), (fall, baseline), (end, baseline))  # fmt: skip


def grid_positions(length_mm: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Minor (1 mm, excluding major) and major (5 mm) line positions from 0 to ``length_mm``."""
    count = int(round(length_mm / MINOR_GRID_MM))
    per_major = int(round(MAJOR_GRID_MM / MINOR_GRID_MM))
    minor = tuple(i * MINOR_GRID_MM for i in range(count + 1) if i % per_major)
    major = tuple(i * MINOR_GRID_MM for i in range(count + 1) if i % per_major == 0)
    return minor, major


def gain_text(page: Page) -> str:
    """'10 mm/mV', or 'limb 10 mm/mV, chest 5 mm/mV' under split gain."""
    if page.chest_gain_mm_mv is None or page.chest_gain_mm_mv == page.gain_mm_mv:
        return f"{page.gain_mm_mv:g} mm/mV"
    return f"limb {page.gain_mm_mv:g} mm/mV, chest {page.chest_gain_mm_mv:g} mm/mV"


def footer_text(page: Page, fs: float) -> str:
    """Speed, gain(s), sampling rate and (when the signal was filtered) the filter band:
    the only annotation a reader sees."""
    parts = [f"{page.speed_mm_s:g} mm/s", gain_text(page), f"{fs:g} samples/s"]
    if page.filter_band_hz is not None:
        low, high = page.filter_band_hz
        parts.append(f"filter {low:g}\u2013{high:g} Hz")
    # Em spaces, because SVG collapses runs of ordinary spaces.
    return FOOTER_SEPARATOR.join(parts)
