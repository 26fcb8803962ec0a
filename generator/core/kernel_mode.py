"""Which S4 kernel mode a checkpoint was trained with, from its noise-prediction error.

A model predicts the noise of held-out ECGs best with the kernel it was trained with, so
the mode with the lower mean error at a fixed step and fixed (seeded) noise is that mode,
when the difference is larger than the ECGs' scatter can explain (paired, per ECG).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from generator.core.checkpoint import LoadedCheckpoint, load_checkpoint
from generator.core.config import KERNEL_MODES
from generator.core.diffusion import NoiseSchedule, noised
from generator.core.labels import encode_label_sets
from generator.core.leads import generated_from_twelve
from generator.core.pointwise import fastest_pointwise_convolutions

RESOLVED_AT = 2.0  # standard errors the paired difference must exceed to name a mode


def noise_prediction_errors(
    loaded: LoadedCheckpoint,
    signals: np.ndarray,
    label_sets: Sequence[Sequence[str]],
    *,
    step: int,
    seed: int,
    batch_size: int = 16,
) -> np.ndarray:
    """Each ECG's mean squared error of the predicted noise at diffusion ``step``: (N,) for
    (N, 12, L) mV ECGs (their mean is the training loss of the whole set).

    Codes outside the checkpoint's label vocabulary are ignored. A non-finite error (NaN
    samples, a diverged model) is refused, naming the ECGs.
    """
    config = loaded.config
    if not 0 <= step < config.diffusion.T:
        raise ValueError(f"step must lie in [0, {config.diffusion.T}), got {step}")
    length = config.model.signal_length
    if signals.ndim != 3 or signals.shape[1] != 12 or signals.shape[2] < length:
        raise ValueError(f"signals must have shape (N, 12, >= {length}), got {signals.shape}")
    x0 = generated_from_twelve(np.asarray(signals, dtype=np.float32), config.model.lead_set)
    x0 = torch.from_numpy(np.ascontiguousarray(x0[..., :length]))
    vocabulary = config.model.label_vocabulary
    known = [[code for code in codes if code in vocabulary] for codes in label_sets]
    labels = torch.from_numpy(encode_label_sets(known, vocabulary))
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    schedule = NoiseSchedule.from_config(config.diffusion)
    device = next(loaded.model.parameters()).device
    loaded.model.eval()
    errors = []
    with torch.no_grad(), fastest_pointwise_convolutions(loaded.model, length):
        for start in range(0, len(x0), batch_size):
            part = slice(start, start + batch_size)
            errors.append(
                per_ecg_loss(
                    loaded.model,
                    x0[part].to(device),
                    labels[part].to(device, torch.float32),
                    schedule,
                    step=step,
                    noise=noise[part].to(device),
                ).cpu()
            )
    errors = torch.cat(errors).double().numpy()
    if not np.isfinite(errors).all():
        bad = np.flatnonzero(~np.isfinite(errors))[:5].tolist()
        raise ValueError(f"the noise-prediction error of ECG(s) {bad} is NaN or infinite")
    return errors


def per_ecg_loss(
    model: torch.nn.Module,
    x0: torch.Tensor,
    labels: torch.Tensor,
    schedule: NoiseSchedule,
    *,
    step: int,
    noise: torch.Tensor,
) -> torch.Tensor:
    """``training_loss`` of each ECG of a batch on its own, all at ``step``: (B,)."""
    steps = torch.full((len(x0),), step, device=x0.device)
    predicted = model(noised(schedule, x0, steps, noise), labels, steps)  # (B, C, L)
    return (predicted.float() - noise.float()).pow(2).mean(dim=(1, 2))


def kernel_mode_errors(
    checkpoint: str | Path,
    signals: np.ndarray,
    label_sets: Sequence[Sequence[str]],
    *,
    step: int = 100,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> dict[str, np.ndarray]:
    """The per-ECG noise-prediction errors of ``checkpoint`` in every kernel mode (the
    same ECGs, step and noise in each, so they are paired)."""
    errors = {}
    for mode in KERNEL_MODES:
        loaded = load_checkpoint(checkpoint, device, kernel_mode=mode)
        errors[mode] = noise_prediction_errors(loaded, signals, label_sets, step=step, seed=seed)
    return errors


@dataclass(frozen=True)
class KernelModeVerdict:
    """Each mode's mean error, the mean paired difference (first mode minus second) with
    its standard error over the ECGs, and the mode it names (None: undecided)."""

    means: dict[str, float]
    difference: float
    standard_error: float
    n_ecgs: int
    mode: str | None


def kernel_mode_verdict(errors: dict[str, np.ndarray]) -> KernelModeVerdict:
    """The mode with the lower mean error, when the data resolve it: undecided while the
    mean of the per-ECG differences is within :data:`RESOLVED_AT` standard errors of 0
    (always with one ECG, whose standard error is unknown: infinite here)."""
    first, second = KERNEL_MODES
    paired = errors[first] - errors[second]  # (N,)
    n = len(paired)
    standard_error = float(paired.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
    difference = float(paired.mean())
    resolved = abs(difference) > RESOLVED_AT * standard_error
    return KernelModeVerdict(
        means={mode: float(values.mean()) for mode, values in errors.items()},
        difference=difference,
        standard_error=standard_error,
        n_ecgs=n,
        mode=(first if difference < 0 else second) if resolved else None,
    )
