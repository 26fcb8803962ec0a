"""What a reader is given about a study's pages, the same for every panel of the study:
the page geometry the calipers measure on, and the expectations (number of items,
expected time, paper speed and gain) stated before reading.

Nothing here depends on an ECG, so nothing here can tell a real panel from a synthetic one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ecg_render.layout import CALIBRATION_MV, PAGE_MARGIN_MM, Page, Row, gain_text

# Typical reading time per item, a planning figure stated to readers before they start.
SECONDS_PER_ITEM = {"paired": 45, "single": 30}


@dataclass(frozen=True)
class Expectations:
    """What a reader is told before starting: items (``practice`` of them practice), time,
    paper speed and gain."""

    items: int
    minutes: int
    speed_mm_s: float
    gain_text: str
    practice: int = 0

    @property
    def paper_text(self) -> str:
        return f"{self.speed_mm_s:g} mm/s, {self.gain_text}"

    @property
    def items_text(self) -> str:
        """The items counted as the case pages number them: the practice items apart."""
        counted = _count(self.items - self.practice, "item")
        if not self.practice:
            return counted
        return f"{counted} and {_count(self.practice, 'practice item')}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def expectations(page: Page, *, items: int, paired: bool, practice: int = 0) -> Expectations:
    """Expectations for a reader with ``items`` items (``practice`` of them practice) on
    pages laid out as ``page``."""
    seconds = items * SECONDS_PER_ITEM["paired" if paired else "single"]
    return Expectations(
        items=items,
        minutes=max(1, math.ceil(seconds / 60)),
        speed_mm_s=page.speed_mm_s,
        gain_text=gain_text(page),
        practice=practice,
    )


def page_geometry(page: Page) -> dict:
    """The page as the browser's calipers need it: its size in mm, the paper speed, and
    one rectangle per lead cell and calibration pulse with the gain that applies there."""
    regions = []
    for row in page.rows:
        regions.extend(_calibration_regions(page, row))
    for segment in page.segments:
        x0 = segment.x_mm
        x1 = x0 + (segment.end_s - segment.start_s) * page.speed_mm_s
        regions.append(_region(x0, x1, page.rows[segment.row], segment.gain_mm_mv, segment.label))
    return {
        "width_mm": page.width_mm,
        "height_mm": page.height_mm,
        "speed_mm_s": page.speed_mm_s,
        "regions": regions,
    }


def _calibration_regions(page: Page, row: Row) -> list[dict]:
    """The row's calibration pulse, one region per step: a 1 mV pulse is as tall as the
    gain; under split gain the pulse steps from the limb to the chest gain halfway."""
    polyline = page.calibrations[row.index]
    tops = [(x, y) for x, y in polyline if y != row.baseline_mm]  # the pulse's corners
    steps = [tops[i : i + 2] for i in range(0, len(tops), 2)]  # (left, right) per step
    bounds = [PAGE_MARGIN_MM, *(right[0] for _, right in steps[:-1]), page.trace_left_mm]
    return [
        _region(x0, x1, row, (row.baseline_mm - left[1]) / CALIBRATION_MV, "calibration")
        for x0, x1, (left, _) in zip(bounds[:-1], bounds[1:], steps, strict=True)
    ]


def _region(x0: float, x1: float, row: Row, gain: float, name: str) -> dict:
    return {
        "name": name,
        "x0": round(x0, 3),
        "x1": round(x1, 3),
        "y0": round(row.top_mm, 3),
        "y1": round(row.bottom_mm, 3),
        "baseline": round(row.baseline_mm, 3),
        "gain": gain,
    }
