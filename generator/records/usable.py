"""The rule every imported ECG meets so that a study can show it: rate and length (pure)."""

from __future__ import annotations

from generator.core.harmonise import MAX_SAMPLING_RATE_HZ, MIN_SAMPLING_RATE_HZ, HarmonisationSpec
from generator.records.errors import RecordError

# A study shows this window; seeding leaves out any ECG shorter than it.
MIN_DURATION_S = HarmonisationSpec().duration_s


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
