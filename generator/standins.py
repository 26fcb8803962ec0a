"""Stand-in 12-lead ECGs for the demo when no real ECG is at hand (pure numpy, no Django).

Each beat is a sum of Gaussian waves (P, septal q, R, S, T). Every wave has a 3-D dipole
direction (x: to the patient's left, y: inferior, z: anterior) that is projected onto the
lead axes, so the twelve leads agree with each other: I and II come from the frontal
plane, III, aVR, aVL and aVF follow from Einthoven/Goldberger, and V1-V6 lie in the
horizontal plane. Heart rate, axis and amplitudes vary per ECG; RR intervals carry
respiratory sinus arrhythmia and jitter; baseline wander and noise are added. The result
looks like a recording but is not one: the demo labels every stand-in as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STANDIN_ORIGIN = "demo-standin"
STANDIN_LABELS: dict[str, float] = {"NORM": 100.0, "SR": 0.0}
STANDIN_MODEL = "sum-of-Gaussians P-QRS-T dipole model, version 1"

# Horizontal-plane angles of V1..V6, degrees from the patient's left towards anterior.
_CHEST_ANGLES_DEG = (115.0, 95.0, 70.0, 50.0, 25.0, 0.0)


@dataclass(frozen=True)
class Wave:
    """One Gaussian wave of a beat: offset from the R peak (s), width (s), dipole (mV)."""

    offset_s: float
    width_s: float
    dipole: tuple[float, float, float]


def _rotate_frontal(vector: np.ndarray, degrees: float) -> np.ndarray:
    """Turn a dipole in the frontal (x, y) plane: shifts the electrical axis."""
    angle = np.deg2rad(degrees)
    x, y, z = vector
    return np.array(
        [x * np.cos(angle) - y * np.sin(angle), x * np.sin(angle) + y * np.cos(angle), z]
    )


def _beat_waves(rng: np.random.Generator, rr_s: float) -> list[Wave]:
    """The waves of one person's normal beat; QT follows the heart rate (Bazett)."""
    axis_shift = rng.uniform(-20.0, 20.0)
    gain = rng.uniform(0.8, 1.25)
    qt_scale = np.sqrt(rr_s)
    templates = [
        Wave(-0.16, 0.022, (0.06, 0.10, 0.02)),  # P: atria, left and inferior
        Wave(-0.022, 0.007, (-0.12, 0.0, 0.25)),  # septal q: rightwards and anterior
        Wave(0.0, 0.011, (0.85, 0.75, -0.35)),  # R: left, inferior, slightly posterior
        Wave(0.03, 0.010, (-0.15, -0.2, -0.6)),  # S: late, posterior and superior
        Wave(0.26 * qt_scale, 0.05 * qt_scale, (0.2, 0.18, 0.12)),  # T: concordant with R
    ]
    waves = []
    for wave in templates:
        dipole = _rotate_frontal(np.array(wave.dipole), axis_shift) * gain
        dipole *= rng.uniform(0.9, 1.1, size=3)
        waves.append(Wave(wave.offset_s, wave.width_s, tuple(float(v) for v in dipole)))
    return waves


def _r_peak_times(rng: np.random.Generator, rr_s: float, seconds: float) -> np.ndarray:
    """Beat times from before the window to after it, with breathing-linked RR variation."""
    breath_hz = rng.uniform(0.2, 0.3)
    times = [rng.uniform(-rr_s, 0.0)]
    while times[-1] < seconds + 1.0:
        t = times[-1]
        rr = rr_s * (1 + 0.04 * np.sin(2 * np.pi * breath_hz * t) + rng.normal(0, 0.015))
        times.append(t + rr)
    return np.array(times)


def standin_signal(seed: int, *, fs: float = 100.0, seconds: float = 10.0) -> np.ndarray:
    """A deterministic stand-in 12-lead ECG, (12, fs * seconds) float32 in mV, standard lead
    order (I, II, III, aVR, aVL, aVF, V1-V6), quantised to 1 uV like PTB-XL."""
    if fs <= 0 or seconds <= 0:
        raise ValueError(f"sampling rate and duration must be positive, got {fs}, {seconds}")
    rng = np.random.default_rng([seed, 20240])
    heart_rate_bpm = rng.uniform(58.0, 88.0)
    rr_s = 60.0 / heart_rate_bpm
    waves = _beat_waves(rng, rr_s)
    t = np.arange(int(round(fs * seconds))) / fs
    dipole = np.zeros((3, t.size))  # (3, L): x, y, z of the heart vector over time
    for peak in _r_peak_times(rng, rr_s, seconds):
        for wave in waves:
            shape = np.exp(-0.5 * ((t - peak - wave.offset_s) / wave.width_s) ** 2)  # (L,)
            dipole += np.outer(wave.dipole, shape)
    x, y, z = dipole
    angles = np.deg2rad(_CHEST_ANGLES_DEG)
    # Chest electrodes sit close to the heart: larger deflections than the limb leads.
    chest = [1.6 * (np.cos(a) * x + np.sin(a) * z) for a in angles]
    measured = np.array([x, 0.5 * x + np.sqrt(3) / 2 * y, *chest])  # (8, L): I, II, V1-V6
    wander = 0.04 * np.sin(2 * np.pi * rng.uniform(0.1, 0.35) * t + rng.uniform(0, 2 * np.pi))
    measured += wander * rng.uniform(0.5, 1.5, size=(8, 1))
    measured += rng.normal(0.0, 0.008, size=measured.shape)
    # As in a recording, III, aVR, aVL and aVF are computed from I and II, noise included.
    lead_i, lead_ii = measured[0], measured[1]
    limb = [lead_i, lead_ii, lead_ii - lead_i, -(lead_i + lead_ii) / 2, lead_i - lead_ii / 2,
            lead_ii - lead_i / 2]  # fmt: skip
    signal = np.array(limb + list(measured[2:]))  # (12, L)
    return np.round(signal, 3).astype(np.float32)
