"""Bring any 12-lead ECG to a study's common representation (pure numpy/scipy).

Real and synthetic ECGs must differ in nothing but their content: the same sampling
rate, the same 10 s window, the same (optional) band-pass and the same quantisation.
Real PTB-XL rows are quantised to 1 µV and synthetic ones are not; harmonising both to
the same quantum removes that non-clinical tell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from fractions import Fraction

import numpy as np
from scipy import signal as sps

from generator.core.validation import check_signal


@dataclass(frozen=True)
class HarmonisationSpec:
    """A study's common representation of every ECG it shows."""

    sampling_rate: float = 100.0
    duration_s: float = 10.0
    bandpass_hz: tuple[float, float] | None = None
    quantum_mv: float = 0.001

    def __post_init__(self) -> None:
        if self.sampling_rate <= 0 or self.duration_s <= 0:
            raise ValueError("sampling_rate and duration_s must be positive")
        if self.quantum_mv < 0:
            raise ValueError("quantum_mv must be >= 0 (0 disables quantisation)")
        if self.bandpass_hz is not None:
            low, high = self.bandpass_hz
            if not 0 < low < high < self.sampling_rate / 2:
                raise ValueError(
                    f"band-pass {self.bandpass_hz} Hz must satisfy 0 < low < high < "
                    f"Nyquist ({self.sampling_rate / 2} Hz)"
                )

    @property
    def n_samples(self) -> int:
        """Samples per lead of a harmonised ECG."""
        return int(round(self.sampling_rate * self.duration_s))

    def as_dict(self) -> dict:
        """JSON-friendly form, stored with a study."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> HarmonisationSpec:
        """Inverse of :meth:`as_dict`; missing keys take the defaults.

        Raises ValueError naming the field for a non-mapping, an unknown key or a value
        of the wrong type or range.
        """
        if not isinstance(data, Mapping):
            raise ValueError(
                f"harmonisation must be an object of settings, got {type(data).__name__}"
            )
        known = [f.name for f in fields(cls)]
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise ValueError(
                f"unknown harmonisation settings: {', '.join(unknown)} (known: {', '.join(known)})"
            )
        defaults = cls()
        sampling_rate = _number(data, "sampling_rate", defaults.sampling_rate, positive=True)
        duration_s = _number(data, "duration_s", defaults.duration_s, positive=True)
        quantum_mv = _number(data, "quantum_mv", defaults.quantum_mv, positive=False)
        bandpass_hz = _band(data.get("bandpass_hz", defaults.bandpass_hz))
        try:
            return cls(sampling_rate, duration_s, bandpass_hz, quantum_mv)
        except ValueError as exc:  # only the band-pass/Nyquist check is left to fail here
            raise ValueError(f"harmonisation.bandpass_hz: {exc}") from exc


def _is_number(value: object) -> bool:
    # bool is an int subclass, but `true` is no sampling rate.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(data: Mapping, name: str, default: float, *, positive: bool) -> float:
    value = data.get(name, default)
    ok = _is_number(value) and math.isfinite(value) and (value > 0 if positive else value >= 0)
    if not ok:
        wanted = "a positive number" if positive else "a number >= 0"
        raise ValueError(f"harmonisation.{name} must be {wanted}, got {value!r}")
    return float(value)


def _band(value: object) -> tuple[float, float] | None:
    if value is None:
        return None
    is_pair = isinstance(value, list | tuple) and len(value) == 2
    if not (is_pair and all(_is_number(v) and math.isfinite(v) for v in value)):
        raise ValueError(
            f"harmonisation.bandpass_hz must be null or [low, high] in Hz, got {value!r}"
        )
    return (float(value[0]), float(value[1]))


def resample(signal: np.ndarray, fs: float, target_fs: float) -> np.ndarray:
    """Polyphase resampling along the last axis from ``fs`` to ``target_fs``."""
    if fs == target_fs:
        return np.asarray(signal, dtype=np.float64)
    ratio = Fraction(target_fs / fs).limit_denominator(1000)
    return sps.resample_poly(signal, ratio.numerator, ratio.denominator, axis=-1)


def harmonise(signal: np.ndarray, fs: float, spec: HarmonisationSpec) -> np.ndarray:
    """Return ``signal`` (12, N) at ``fs`` in the representation ``spec`` as float32.

    Steps, identical for every source: resample to the study rate, take the first
    ``duration_s`` seconds, band-pass with a zero-phase Butterworth filter when asked,
    and round to ``quantum_mv``.
    """
    checked = check_signal(signal, fs).astype(np.float64)
    have_s = checked.shape[1] / fs
    if have_s + 1e-9 < spec.duration_s:
        raise ValueError(f"ECG lasts {have_s:.2f} s, shorter than the {spec.duration_s} s window")
    # Cut first, with a margin for the resampling filter, so long records stay cheap.
    margin = int(round(fs))
    cut = checked[:, : int(round(spec.duration_s * fs)) + margin]
    out = resample(cut, fs, spec.sampling_rate)[:, : spec.n_samples]
    if out.shape[1] < spec.n_samples:
        out = np.pad(out, ((0, 0), (0, spec.n_samples - out.shape[1])), mode="edge")
    if spec.bandpass_hz is not None:
        sos = sps.butter(2, spec.bandpass_hz, btype="bandpass", fs=spec.sampling_rate, output="sos")
        out = sps.sosfiltfilt(sos, out, axis=-1)
    if spec.quantum_mv > 0:
        out = np.round(out / spec.quantum_mv) * spec.quantum_mv
    return out.astype(np.float32)
