"""Synthetic test signals whose every sample says which lead and time it belongs to."""

from __future__ import annotations

import numpy as np

from generator.core.leads import STANDARD_LEADS

LEVEL_STEP_MV = 0.1
MARKER_MV = 1.0
MARKER_S = 0.1
COLUMN_S = 2.5


def lead_level(lead: str) -> float:
    """The constant millivolt level that identifies ``lead``: 0.1 mV for I ... 1.2 mV for V6."""
    return (STANDARD_LEADS.index(lead) + 1) * LEVEL_STEP_MV


def marker_times(lead: str) -> list[float]:
    """Start (s) of the lead's +1 mV markers: one per 2.5 s column, shifted 0.2 s per lead."""
    offset = 0.1 + 0.2 * STANDARD_LEADS.index(lead)
    return [column * COLUMN_S + offset for column in range(4)]


def coded_signal(fs: float = 100.0, seconds: float = 10.0) -> np.ndarray:
    """(12, N) mV: lead k sits at (k+1)*0.1 mV and rises 1 mV for 0.1 s at its marker times."""
    n = int(round(seconds * fs))
    signal = np.empty((len(STANDARD_LEADS), n))
    for k, lead in enumerate(STANDARD_LEADS):
        signal[k] = lead_level(lead)
        for start in marker_times(lead):
            # Integer sample bounds, so float time arithmetic cannot move a marker edge.
            first = int(round(start * fs))
            signal[k, first : first + int(round(MARKER_S * fs))] += MARKER_MV
    return signal


def step_signal(lead: str, at_s: float, fs: float = 100.0, step_mv: float = 1.0) -> np.ndarray:
    """Zero everywhere except ``lead``, which steps from 0 to ``step_mv`` at ``at_s``."""
    signal = np.zeros((len(STANDARD_LEADS), int(round(10 * fs))))
    signal[STANDARD_LEADS.index(lead), int(round(at_s * fs)) :] = step_mv
    return signal
