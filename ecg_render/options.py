"""Rendering options (layout, paper speed, gains, rows, clipping, footer) and their validation."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from ecg_render.style import Style
from generator.core.leads import STANDARD_LEADS

LAYOUTS: tuple[str, ...] = ("3x4+R", "6x2", "12x1", "cabrera")
PAPER_SPEEDS_MM_S: tuple[float, ...] = (25.0, 50.0)
GAINS_MM_MV: tuple[float, ...] = (5.0, 10.0, 20.0)
# Seconds a page shows; by default as much as 250 mm of paper holds (10 s at 25 mm/s,
# 5 s at 50 mm/s), so both speeds give a page of the same width, as printers do.
WINDOWS_S: tuple[float, ...] = (5.0, 10.0)
TRACE_WIDTH_MM = 250.0
# Row pitch: whole 5 mm squares, from 20 mm (two squares either side) to 100 mm.
ROW_HEIGHT_STEP_MM = 5.0
MIN_ROW_HEIGHT_MM = 20.0
MAX_ROW_HEIGHT_MM = 100.0


@dataclass(frozen=True)
class RenderOptions:
    """How to lay out and scale an ECG; every writer takes the same options.

    ``rhythm_lead`` names the lead of the full-length strip under the ``3x4+R`` layout
    (other layouts have no rhythm strip and ignore it). ``gain_mm_mv`` applies to every
    lead unless ``chest_gain_mm_mv`` gives V1-V6 their own (split gain, e.g. 10/5).
    ``window_s`` is the time shown (None: 10 s at 25 mm/s, 5 s at 50 mm/s).
    ``row_height_mm`` is the row pitch (None: the layout's default span at the gain);
    :func:`ecg_render.layout.row_height_for_extent` of the largest
    :func:`ecg_render.traces.trace_extent_mm` of a set of ECGs gives them room. With
    ``clip`` (the default) a deflection beyond its row band is flattened at the band's
    edge and a clip marker drawn there, as printers do; without it the trace overlaps the
    neighbouring rows. ``filter_band_hz`` is the band-pass the signal went through, stated
    in the footer (it does not filter).
    """

    layout: str = "3x4+R"
    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    chest_gain_mm_mv: float | None = None
    rhythm_lead: str = "II"
    window_s: float | None = None
    row_height_mm: float | None = None
    clip: bool = True
    filter_band_hz: tuple[float, float] | None = None
    style: Style = field(default_factory=Style)

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown layout {self.layout!r}; expected one of {list(LAYOUTS)}")
        if _not_number(self.speed_mm_s) or float(self.speed_mm_s) not in PAPER_SPEEDS_MM_S:
            raise ValueError(
                f"paper speed {self.speed_mm_s!r} mm/s is not supported; "
                f"expected one of {[f'{s:g}' for s in PAPER_SPEEDS_MM_S]}"
            )
        for name in ("gain_mm_mv", "chest_gain_mm_mv"):
            value = getattr(self, name)
            if name == "chest_gain_mm_mv" and value is None:
                continue
            if _not_number(value) or float(value) not in GAINS_MM_MV:
                what = "gain" if name == "gain_mm_mv" else "chest gain"
                raise ValueError(
                    f"{what} {value!r} mm/mV is not supported; "
                    f"expected one of {[f'{g:g}' for g in GAINS_MM_MV]}"
                    + (" or None (the limb gain)" if name == "chest_gain_mm_mv" else "")
                )
        if self.rhythm_lead not in STANDARD_LEADS:
            raise ValueError(
                f"rhythm lead {self.rhythm_lead!r} is not a standard lead; "
                f"expected one of {list(STANDARD_LEADS)}"
            )
        if self.window_s is not None and (
            _not_number(self.window_s) or float(self.window_s) not in WINDOWS_S
        ):
            raise ValueError(
                f"window {self.window_s!r} s is not supported; expected None (250 mm of "
                f"paper) or one of {[f'{w:g}' for w in WINDOWS_S]}"
            )
        if self.row_height_mm is not None:
            _check_row_height(self.row_height_mm)
        if not isinstance(self.clip, bool):
            raise ValueError(f"clip must be True or False, got {self.clip!r}")
        if self.filter_band_hz is not None:
            _check_band(self.filter_band_hz)
        if not isinstance(self.style, Style):
            raise ValueError(f"style must be a Style, got {type(self.style).__name__}")

    @property
    def duration_s(self) -> float:
        """Seconds of signal the page shows."""
        if self.window_s is not None:
            return float(self.window_s)
        return TRACE_WIDTH_MM / float(self.speed_mm_s)

    def lead_gain(self, lead: str) -> float:
        """The gain (mm/mV) at which ``lead`` is drawn."""
        if self.chest_gain_mm_mv is not None and lead.startswith("V"):
            return float(self.chest_gain_mm_mv)
        return float(self.gain_mm_mv)


def _check_row_height(value: object) -> None:
    if _not_number(value) or not math.isfinite(float(value)):
        raise ValueError(f"row height must be a number of millimetres, got {value!r}")
    height = float(value)
    steps = height / ROW_HEIGHT_STEP_MM
    if not MIN_ROW_HEIGHT_MM <= height <= MAX_ROW_HEIGHT_MM or steps != round(steps):
        raise ValueError(
            f"row height {value!r} mm must be a multiple of {ROW_HEIGHT_STEP_MM:g} mm from "
            f"{MIN_ROW_HEIGHT_MM:g} to {MAX_ROW_HEIGHT_MM:g} mm"
        )


def _check_band(band: object) -> None:
    valid = (
        isinstance(band, tuple)
        and len(band) == 2
        and not any(_not_number(v) for v in band)
        and all(math.isfinite(float(v)) for v in band)
        and 0 < float(band[0]) < float(band[1])
    )
    if not valid:
        raise ValueError(
            f"filter band must be a (low, high) tuple of Hz with 0 < low < high, got {band!r}"
        )


def _not_number(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, numbers.Real)
