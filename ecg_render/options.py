"""Rendering options (layout, paper speed, gain, rhythm lead, clipping) and their validation."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

from ecg_render.style import Style
from generator.core.leads import STANDARD_LEADS

LAYOUTS: tuple[str, ...] = ("3x4+R", "6x2", "12x1", "cabrera")
PAPER_SPEEDS_MM_S: tuple[float, ...] = (25.0, 50.0)
GAINS_MM_MV: tuple[float, ...] = (5.0, 10.0, 20.0)


@dataclass(frozen=True)
class RenderOptions:
    """How to lay out and scale an ECG; every writer takes the same options.

    ``rhythm_lead`` names the lead of the full-length strip under the ``3x4+R`` layout
    (other layouts have no rhythm strip and ignore it). ``clip`` confines each trace to
    its own row band; by default large deflections overlap the next row as on paper.
    """

    layout: str = "3x4+R"
    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    rhythm_lead: str = "II"
    clip: bool = False
    style: Style = field(default_factory=Style)

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown layout {self.layout!r}; expected one of {list(LAYOUTS)}")
        if _not_number(self.speed_mm_s) or float(self.speed_mm_s) not in PAPER_SPEEDS_MM_S:
            raise ValueError(
                f"paper speed {self.speed_mm_s!r} mm/s is not supported; "
                f"expected one of {[f'{s:g}' for s in PAPER_SPEEDS_MM_S]}"
            )
        if _not_number(self.gain_mm_mv) or float(self.gain_mm_mv) not in GAINS_MM_MV:
            raise ValueError(
                f"gain {self.gain_mm_mv!r} mm/mV is not supported; "
                f"expected one of {[f'{g:g}' for g in GAINS_MM_MV]}"
            )
        if self.rhythm_lead not in STANDARD_LEADS:
            raise ValueError(
                f"rhythm lead {self.rhythm_lead!r} is not a standard lead; "
                f"expected one of {list(STANDARD_LEADS)}"
            )
        if not isinstance(self.clip, bool):
            raise ValueError(f"clip must be True or False, got {self.clip!r}")
        if not isinstance(self.style, Style):
            raise ValueError(f"style must be a Style, got {type(self.style).__name__}")


def _not_number(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, numbers.Real)
