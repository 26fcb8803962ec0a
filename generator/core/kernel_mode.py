"""Which S4 kernel mode a checkpoint was trained with, from its noise-prediction error.

A model predicts the noise of held-out ECGs best with the kernel it was trained with, so
the mode with the lower mean error at a fixed step and fixed (seeded) noise is that mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from generator.core.checkpoint import LoadedCheckpoint, load_checkpoint
from generator.core.config import KERNEL_MODES
from generator.core.diffusion import NoiseSchedule, training_loss
from generator.core.labels import encode_label_sets
from generator.core.leads import generated_from_twelve


def noise_prediction_error(
    loaded: LoadedCheckpoint,
    signals: np.ndarray,
    label_sets: Sequence[Sequence[str]],
    *,
    step: int,
    seed: int,
    batch_size: int = 16,
) -> float:
    """Mean squared error of the predicted noise of (N, 12, L) mV ECGs at diffusion ``step``.

    Codes outside the checkpoint's label vocabulary are ignored.
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
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(x0), batch_size):
            part = slice(start, start + batch_size)
            count = len(x0[part])
            draws = (torch.full((count,), step), noise[part])
            loss = training_loss(
                loaded.model,
                x0[part].to(device),
                labels[part].to(device, torch.float32),
                schedule,
                draws=draws,
            )
            total += float(loss) * count
    return total / len(x0)


def kernel_mode_errors(
    checkpoint: str | Path,
    signals: np.ndarray,
    label_sets: Sequence[Sequence[str]],
    *,
    step: int = 100,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> dict[str, float]:
    """The noise-prediction error of ``checkpoint`` in every kernel mode."""
    errors = {}
    for mode in KERNEL_MODES:
        loaded = load_checkpoint(checkpoint, device, kernel_mode=mode)
        errors[mode] = noise_prediction_error(loaded, signals, label_sets, step=step, seed=seed)
    return errors


def likely_kernel_mode(errors: dict[str, float]) -> str:
    """The mode with the lowest error: the one the checkpoint was most likely trained with."""
    return min(errors, key=errors.__getitem__)
