"""Non-clinical features of what a reader's browser receives for one ECG panel."""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass

import numpy as np

from assessment.audit.svg_parse import Trace, svg_traces

FEATURES: tuple[str, ...] = (
    "content_length", "gzip_length", "grid_1uv", "grid_2uv", "grid_5uv", "grid_10uv",
    "residue_goldberger", "residue_einthoven", "distinct_values", "mean_number_chars",
    "short_numbers", "render_ms",
)  # fmt: skip
CHANNELS: dict[str, tuple[str, ...]] = {
    "response size": ("content_length",),
    "compressed size": ("gzip_length",),
    "value grid": ("grid_1uv", "grid_2uv", "grid_5uv", "grid_10uv"),
    "limb-lead residue": ("residue_goldberger", "residue_einthoven"),
    "distinct values": ("distinct_values",),
    "number formatting": ("mean_number_chars", "short_numbers"),
    "response time": ("render_ms",),
    "all together": (
        "content_length", "grid_1uv", "grid_2uv", "grid_5uv", "grid_10uv",
        "residue_goldberger", "residue_einthoven", "mean_number_chars", "short_numbers",
        "render_ms",
    ),
}  # fmt: skip
# The gzip size and the value-grid occupancy of a panel follow the waveform's own
# amplitude and noise, which readers see: they measure how the sources' content differs,
# not an encoding leak, so they are reported but never gate (nor join "all together").
CONTENT_CHANNELS: frozenset[str] = frozenset({"compressed size", "distinct values"})
GRID_STEPS_UV = {"grid_1uv": 1.0, "grid_2uv": 2.0, "grid_5uv": 5.0, "grid_10uv": 10.0}
GRID_TOLERANCE = 1e-6
TIME_STEP_MS = 10.0
# Limb-lead relations as weights on the drawn leads: aVR + aVL + aVF = 0, I + III - II = 0.
GOLDBERGER = {"aVR": 1, "aVL": 1, "aVF": 1}
EINTHOVEN = {"I": 1, "III": 1, "II": -1}
# A residue further than this from its segment median (in coordinate units) counts.
RESIDUE_THRESHOLD = 0.5


@dataclass(frozen=True)
class ServedPanel:
    """One panel response as a reader's browser gets it, and the truth about its ECG.

    ``uv_per_unit`` is the µV drawn per hundredth-of-mm coordinate unit (10 / gain in
    mm/mV), ``chest_uv_per_unit`` that of V1-V6 under split gain (None: the same);
    ``case`` ties the panels of a pair together.
    """

    body: bytes
    content_length: int
    render_s: float
    uv_per_unit: float
    is_synthetic: bool
    case: str
    chest_uv_per_unit: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.body, bytes):
            raise ValueError(f"body must be bytes, got {type(self.body).__name__}")
        if isinstance(self.content_length, bool) or not isinstance(self.content_length, int):
            raise ValueError(f"content_length must be an int, got {self.content_length!r}")
        if self.content_length < 0:
            raise ValueError(f"content_length must be >= 0, got {self.content_length}")
        if not _finite(self.render_s) or self.render_s < 0:
            raise ValueError(f"render_s must be a finite number >= 0, got {self.render_s!r}")
        if not _finite(self.uv_per_unit) or self.uv_per_unit <= 0:
            raise ValueError(f"uv_per_unit must be a finite number > 0, got {self.uv_per_unit!r}")
        chest = self.chest_uv_per_unit
        if chest is not None and (not _finite(chest) or chest <= 0):
            raise ValueError(
                f"chest_uv_per_unit must be a finite number > 0 or None, got {chest!r}"
            )
        if not isinstance(self.is_synthetic, bool):
            raise ValueError(f"is_synthetic must be True or False, got {self.is_synthetic!r}")
        if not isinstance(self.case, str) or not self.case:
            raise ValueError(f"case must be a non-empty string, got {self.case!r}")


def panel_features(panel: ServedPanel) -> dict[str, float]:
    """Every feature of :data:`FEATURES` for one panel (NaN where it is undefined)."""
    traces = svg_traces(panel.body)
    numbers = [token for trace in traces for token in trace.numbers]
    return {
        "content_length": float(panel.content_length),
        "gzip_length": float(len(gzip.compress(panel.body, compresslevel=6, mtime=0))),
        **grid_shares(traces, panel.uv_per_unit, panel.chest_uv_per_unit),
        "residue_goldberger": limb_residue(traces, GOLDBERGER),
        "residue_einthoven": limb_residue(traces, EINTHOVEN),
        "distinct_values": float(np.mean([_occupancy(trace.y) for trace in traces])),
        "mean_number_chars": float(np.mean([len(token) for token in numbers])),
        "short_numbers": float(np.mean([_decimals(token) < 2 for token in numbers])),
        "render_ms": response_time_ms(panel.render_s),
    }


def grid_shares(
    traces: list[Trace], uv_per_unit: float, chest_uv_per_unit: float | None = None
) -> dict[str, float]:
    """Share of the drawn values (all traces pooled) on each µV grid.

    The renderer puts every baseline on a whole 0.1 mm (a fact of the public code, checked
    by a test), so a coordinate on a k-unit grid is a value on that grid: real PTB-XL
    leads sit on 5 µV multiples more often than generated ones at 1 µV. Each trace counts
    at its own gain (V1-V6 at ``chest_uv_per_unit`` under split gain) where the grid is a
    whole number of its units; clipped samples (drawn on a row edge, whatever their
    value) do not count. NaN for a grid no trace can show.
    """
    shares = {}
    for name, grid in GRID_STEPS_UV.items():
        on_grid = total = 0
        for trace in traces:
            chest = chest_uv_per_unit is not None and trace.lead.startswith("V")
            units = grid / (chest_uv_per_unit if chest else uv_per_unit)
            if units < 1 - GRID_TOLERANCE or abs(units - round(units)) > GRID_TOLERANCE:
                continue
            values = trace.y[~trace.clipped]
            on_grid += int(np.count_nonzero(values % int(round(units)) == 0))
            total += values.size
        shares[name] = on_grid / total if total else math.nan
    return shares


def response_time_ms(seconds: float) -> float:
    """Serving time in steps of :data:`TIME_STEP_MS`: finer differences drown in network
    jitter for a reader, and in scheduler noise for the audit (which would then raise
    false alarms on pure noise)."""
    return math.floor(seconds * 1000.0 / TIME_STEP_MS) * TIME_STEP_MS


def limb_residue(traces: list[Trace], weights: dict[str, int]) -> float:
    """Share of samples whose weighted lead sum departs from its segment median by > 0.5 unit.

    Only segments of all weighted leads drawn over identical x coordinates count (one
    column of a layout), and only samples that no weighted lead has clipped (a flattened
    sample breaks the relation by drawing, not by content); NaN when the panel has no
    such set.
    """
    by_x: dict[bytes, dict[str, Trace]] = {}
    for trace in traces:
        if trace.lead in weights:
            by_x.setdefault(trace.x.tobytes(), {}).setdefault(trace.lead, trace)
    departing = total = 0
    for aligned in by_x.values():
        if len(aligned) < len(weights):
            continue
        kept = ~np.logical_or.reduce([t.clipped for t in aligned.values()])
        # Drawn y is baseline - value (baseline + value when inverted); the median
        # removes the baselines, which a reader does not know either.
        combined = sum(weights[lead] * t.sign * t.y[kept] for lead, t in aligned.items())
        if not combined.size:
            continue
        residue = combined - np.median(combined)
        departing += int(np.count_nonzero(np.abs(residue) > RESIDUE_THRESHOLD))
        total += residue.size
    return departing / total if total else math.nan


def _occupancy(y: np.ndarray) -> float:
    return len(np.unique(y)) / float(y.max() - y.min() + 1)


def _decimals(token: str) -> int:
    _, dot, fraction = token.partition(".")
    return len(fraction) if dot else 0


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
