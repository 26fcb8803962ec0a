"""Checks that a 12-lead signal is well-formed before it is stored or shown (pure)."""

from __future__ import annotations

import numpy as np


class SignalError(ValueError):
    """A signal that cannot be stored: wrong shape, non-finite values, bad sampling rate."""


def check_signal(signal: np.ndarray, fs: float, *, what: str = "signal") -> np.ndarray:
    """Return ``signal`` as float32 (12, N) after checking shape, finiteness and ``fs``."""
    array = np.asarray(signal)
    if array.ndim != 2 or array.shape[0] != 12:
        raise SignalError(f"{what}: expected shape (12, samples), got {array.shape}")
    if array.shape[1] < 2:
        raise SignalError(f"{what}: has only {array.shape[1]} samples")
    if not np.issubdtype(array.dtype, np.number):
        raise SignalError(f"{what}: samples are not numeric ({array.dtype})")
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise SignalError(f"{what}: contains {bad} NaN/inf samples")
    if not np.isfinite(fs) or fs <= 0:
        raise SignalError(f"{what}: sampling rate must be positive, got {fs}")
    return array.astype(np.float32, copy=False)
