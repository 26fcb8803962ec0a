"""Bring any 12-lead ECG to a study's common representation (pure numpy/scipy).

Real and synthetic ECGs must differ in nothing but their content: the same sampling
rate, the same 10 s window, the same (optional) band-pass, the same limb-lead relations
and the same quantisation. Two non-clinical tells are removed here:

- Real PTB-XL rows are quantised to 1 µV (other sources to 5 µV or coarser) and synthetic
  ones are not. Every ECG is rounded to one coarser quantum (10 µV by default, 0.1 mm at
  10 mm/mV) after a dither, so both sources end with the same rounding residue. With
  "rpdf", a kept uniform jitter of one quantum comes first: it makes each value's place
  between two steps uniform whatever grid the source used, without which a source stored
  on a 5 µV grid keeps a residue of its own (measured: the blinding audit flags it).
- PTB-XL stores III, aVR, aVL and aVF each rounded on its own, while a generator derives
  them exactly from I and II, so aVR + aVL + aVF == 0 marks a synthetic ECG. Every ECG's
  four limb leads are re-derived from I and II (Einthoven/Goldberger) before rounding.

The dither is drawn from a generator seeded with the SHA-256 of the signal about to be
rounded: the same ECG always renders byte-identically and nothing but its content
(neither its source nor its id) enters the noise.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from fractions import Fraction

import numpy as np
from scipy import signal as sps

from generator.core import leads
from generator.core.validation import check_signal

MIN_SAMPLING_RATE_HZ = 50.0
MAX_SAMPLING_RATE_HZ = 1000.0
# The rate of a single ECG viewed outside a study when its own is out of range.
FALLBACK_SAMPLING_RATE_HZ = 500.0
MAX_QUANTUM_MV = 0.1
# "none": plain rounding; "rpdf": a kept uniform jitter of one quantum, then uniform
# noise of one quantum's width added before rounding (non-subtractive, the output stays
# on the grid; error within +-1.5 quanta); "subtractive": noise added before rounding and
# subtracted after (the error is uniform in +-q/2, the output off the grid).
DITHERS: tuple[str, ...] = ("none", "rpdf", "subtractive")


@dataclass(frozen=True)
class HarmonisationSpec:
    """A study's common representation of every ECG it shows."""

    sampling_rate: float = 100.0
    duration_s: float = 10.0
    bandpass_hz: tuple[float, float] | None = None
    quantum_mv: float = 0.01
    derive_limb_leads: bool = True
    dither: str = "rpdf"

    def __post_init__(self) -> None:
        # Messages name the field as a study's settings do, so from_dict passes them on.
        if not MIN_SAMPLING_RATE_HZ <= self.sampling_rate <= MAX_SAMPLING_RATE_HZ:
            raise ValueError(_rate_message(self.sampling_rate))
        if not self.duration_s > 0:
            raise ValueError(
                f"harmonisation.duration_s must be a positive number, got {self.duration_s!r}"
            )
        if not 0 <= self.quantum_mv <= MAX_QUANTUM_MV:
            raise ValueError(_quantum_message(self.quantum_mv))
        if not isinstance(self.derive_limb_leads, bool):
            raise ValueError(_bool_message("derive_limb_leads", self.derive_limb_leads))
        if self.dither not in DITHERS:
            raise ValueError(_dither_message(self.dither))
        if self.bandpass_hz is not None:
            low, high = self.bandpass_hz
            if not 0 < low < high < self.sampling_rate / 2:
                raise ValueError(
                    f"harmonisation.bandpass_hz: band-pass {self.bandpass_hz} Hz must satisfy "
                    f"0 < low < high < Nyquist ({self.sampling_rate / 2} Hz)"
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
        if not MIN_SAMPLING_RATE_HZ <= sampling_rate <= MAX_SAMPLING_RATE_HZ:
            raise ValueError(_rate_message(data["sampling_rate"]))
        duration_s = _number(data, "duration_s", defaults.duration_s, positive=True)
        quantum_mv = _number(data, "quantum_mv", defaults.quantum_mv, positive=False)
        if quantum_mv > MAX_QUANTUM_MV:
            raise ValueError(_quantum_message(data["quantum_mv"]))
        derive = data.get("derive_limb_leads", defaults.derive_limb_leads)
        if not isinstance(derive, bool):
            raise ValueError(_bool_message("derive_limb_leads", derive))
        dither = data.get("dither", defaults.dither)
        if not (isinstance(dither, str) and dither in DITHERS):
            raise ValueError(_dither_message(dither))
        bandpass_hz = _band(data.get("bandpass_hz", defaults.bandpass_hz))
        # Only the band-pass/Nyquist check is left to fail here; its message names the field.
        return cls(sampling_rate, duration_s, bandpass_hz, quantum_mv, derive, dither)


def viewing_spec(fs: float) -> HarmonisationSpec:
    """The default harmonisation of a single ECG viewed outside a study (previews, the CLI).

    It keeps the ECG's own rate where a harmonisation may use it (50-1000 Hz) and falls
    back to 500 Hz otherwise.
    """
    own = MIN_SAMPLING_RATE_HZ <= fs <= MAX_SAMPLING_RATE_HZ
    return HarmonisationSpec(sampling_rate=float(fs) if own else FALLBACK_SAMPLING_RATE_HZ)


def _rate_message(value: object) -> str:
    return (
        f"harmonisation.sampling_rate must lie between {MIN_SAMPLING_RATE_HZ:g} and "
        f"{MAX_SAMPLING_RATE_HZ:g} Hz, got {value!r}"
    )


def _quantum_message(value: object) -> str:
    return (
        f"harmonisation.quantum_mv must be a number >= 0 and <= {MAX_QUANTUM_MV:g} "
        f"(0 disables quantisation), got {value!r}"
    )


def _bool_message(name: str, value: object) -> str:
    return f"harmonisation.{name} must be true or false, got {value!r}"


def _dither_message(value: object) -> str:
    return f"harmonisation.dither must be one of {', '.join(DITHERS)}, got {value!r}"


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
    derive III, aVR, aVL and aVF from I and II when asked, and round each lead to
    ``quantum_mv`` with the spec's dither.
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
    if spec.quantum_mv > 0 and spec.dither == "rpdf":
        # A kept uniform jitter of one quantum makes every value's position between two
        # steps uniform whatever grid the source stored it on, so the rounding errors
        # (and the limb-lead residue) have one distribution for every source.
        out = out + spec.quantum_mv * content_rng(out).uniform(-0.5, 0.5, size=out.shape)
    if spec.derive_limb_leads:
        out = leads.derive_limb_leads(out)
    if spec.quantum_mv > 0:
        out = quantise(out, spec.quantum_mv, spec.dither)
    return out.astype(np.float32)


def quantise(signal: np.ndarray, quantum_mv: float, dither: str = "rpdf") -> np.ndarray:
    """Round every sample of ``signal`` (mV) to a multiple of ``quantum_mv`` (float64).

    With ``dither`` "rpdf" or "subtractive", uniform noise in +-quantum/2 is added before
    rounding (and subtracted after for "subtractive"). The noise is seeded from the
    SHA-256 of the float64 samples, so it is a function of the signal alone.
    """
    if quantum_mv <= 0:
        raise ValueError(f"quantum_mv must be positive, got {quantum_mv!r}")
    if dither not in DITHERS:
        raise ValueError(f"dither must be one of {', '.join(DITHERS)}, got {dither!r}")
    values = np.ascontiguousarray(signal, dtype=np.float64)
    if dither == "none":
        return np.round(values / quantum_mv) * quantum_mv
    noise = content_rng(values).uniform(-0.5, 0.5, size=values.shape)  # in quanta
    steps = np.round(values / quantum_mv + noise)
    if dither == "subtractive":
        steps = steps - noise
    return steps * quantum_mv


def content_rng(values: np.ndarray) -> np.random.Generator:
    """A random generator seeded by the SHA-256 of ``values`` as contiguous float64 bytes."""
    data = np.ascontiguousarray(values, dtype=np.float64)
    digest = hashlib.sha256(data.tobytes()).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))
