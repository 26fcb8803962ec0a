"""What a study can show: the rate and length every imported ECG meets, and the amplitude
beyond which an ECG is flagged and left out of studies (pure)."""

from __future__ import annotations

import numpy as np

from generator.core.harmonise import MAX_SAMPLING_RATE_HZ, MIN_SAMPLING_RATE_HZ, HarmonisationSpec
from generator.records.errors import RecordError

# A study shows this window; seeding leaves out any ECG shorter than it.
MIN_DURATION_S = HarmonisationSpec().duration_s
# Beyond this peak |amplitude| a surface ECG is implausible: imports and sampling jobs store
# such an ECG flagged under this provenance key, and seeding leaves it out.
PLAUSIBLE_PEAK_MV = 10.0
IMPLAUSIBLE_PEAK_KEY = "implausible_peak_mv"


def amplitude_flag(signal: np.ndarray) -> dict[str, float]:
    """``{IMPLAUSIBLE_PEAK_KEY: peak}`` when the signal's peak |amplitude| exceeds
    :data:`PLAUSIBLE_PEAK_MV`, else ``{}`` (provenance to merge into the ECG's)."""
    peak = float(np.abs(signal).max(initial=0.0))
    return {IMPLAUSIBLE_PEAK_KEY: round(peak, 3)} if peak > PLAUSIBLE_PEAK_MV else {}


def check_usable(what: object, *, sampling_rate: float, n_samples: float) -> None:
    """Raise :class:`RecordError` naming ``what`` unless an ECG of ``n_samples`` at
    ``sampling_rate`` has a rate that a study's harmonisation supports and lasts at least
    :data:`MIN_DURATION_S`."""
    if not MIN_SAMPLING_RATE_HZ <= sampling_rate <= MAX_SAMPLING_RATE_HZ:
        raise RecordError(
            what,
            f"sampling rate {sampling_rate:g} Hz is outside the supported "
            f"{MIN_SAMPLING_RATE_HZ:g}-{MAX_SAMPLING_RATE_HZ:g} Hz",
        )
    duration_s = n_samples / sampling_rate
    if duration_s + 1e-9 < MIN_DURATION_S:
        raise RecordError(
            what,
            f"shorter than {MIN_DURATION_S:g} s ({duration_s:.2f} s): "
            f"a study shows a {MIN_DURATION_S:g} s window",
        )
