"""Attention-check traces: obviously impossible ECGs in which all 12 leads are identical."""

from __future__ import annotations

import numpy as np

N_LEADS = 12


def attention_signal(variant: int, *, fs: float = 100.0, seconds: float = 10.0) -> np.ndarray:
    """A (12, N) float32 mV trace, the same waveform in every lead (impossible: III = II - I).

    Even variants are a 1.5 Hz sine of 1 mV, odd variants a 2 Hz square wave of 0.8 mV;
    the phase steps with the variant so that no two checks look alike.
    """
    if variant < 0:
        raise ValueError(f"attention-check variant must be >= 0, got {variant}")
    if fs <= 0 or seconds <= 0:
        raise ValueError("fs and seconds must be positive")
    t = np.arange(int(round(fs * seconds))) / fs
    phase = 0.37 * variant
    if variant % 2 == 0:
        wave = np.sin(2 * np.pi * 1.5 * t + phase)
    else:
        wave = 0.8 * np.sign(np.sin(2 * np.pi * 2.0 * t + phase) + 1e-12)
    return np.tile(wave.astype(np.float32), (N_LEADS, 1))
