"""Generate 12-lead ECGs (mV, standard lead order) from label sets with a trained model."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import torch

from generator.core.config import GeneratorConfig
from generator.core.diffusion import NoiseSchedule, SampleNoise, sample_ddim, sample_ddpm
from generator.core.labels import encode_label_sets
from generator.core.leads import twelve_from_generated
from generator.core.network import SSSDECG

SAMPLERS: tuple[str, ...] = ("ddpm", "ddim")


@dataclass(frozen=True)
class SamplerSettings:
    """How to sample: 'ddpm' (all T steps) or 'ddim' (``steps`` steps, ``eta``)."""

    sampler: str = "ddpm"
    steps: int | None = None
    eta: float = 0.0
    batch_size: int = 16
    cache_kernels: bool = True

    def validate(self, total_steps: int) -> None:
        """Raise ValueError for settings that cannot be used with a T-step schedule."""
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        if self.sampler == "ddpm" and self.steps not in (None, total_steps):
            raise ValueError(f"DDPM runs all {total_steps} steps; use 'ddim' for fewer")
        if self.steps is not None and not 1 <= self.steps <= total_steps:
            raise ValueError(f"steps must lie in 1..{total_steps}, got {self.steps}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {self.batch_size}")
        if self.eta < 0:
            raise ValueError(f"eta must be >= 0, got {self.eta}")

    def denoising_steps(self, total_steps: int) -> int:
        """Number of network evaluations per sample."""
        return total_steps if self.sampler == "ddpm" else (self.steps or total_steps)


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_device(name: str | None) -> torch.device:
    """The device called ``name`` (None: the default); ValueError naming it when unusable."""
    if not name:
        return default_device()
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {name!r}") from exc
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (device.index or 0) >= count:
            raise ValueError(f"device {name!r} is not available ({count} CUDA device(s) here)")
    elif device.type != "cpu":
        raise ValueError(f"device {name!r} is not supported; use cpu or cuda[:N]")
    return device


def generate(
    model: SSSDECG,
    config: GeneratorConfig,
    label_sets: Sequence[Sequence[str]],
    seed: int,
    *,
    start_index: int = 0,
    settings: SamplerSettings | None = None,
) -> np.ndarray:
    """Sample one ECG per label set; returns (N, 12, L) float32 mV in standard lead order.

    Sample i uses the noise stream of (seed, start_index + i), so a job split into chunks
    reproduces the same ECGs as a single run.
    """
    settings = settings or SamplerSettings()
    schedule = NoiseSchedule.from_config(config.diffusion)
    settings.validate(schedule.T)
    labels = encode_label_sets(label_sets, config.model.label_vocabulary)
    device = next(model.parameters()).device
    shape = (config.model.channels, config.model.signal_length)
    model.eval()
    outputs = []
    cache = model.cache_kernels() if settings.cache_kernels else nullcontext()
    with cache:
        for start in range(0, len(labels), settings.batch_size):
            chunk = torch.from_numpy(labels[start : start + settings.batch_size]).to(device)
            indices = range(start_index + start, start_index + start + len(chunk))
            noise = SampleNoise(seed, indices, shape)
            if settings.sampler == "ddpm":
                x = sample_ddpm(model, chunk, schedule, noise)
            else:
                x = sample_ddim(
                    model,
                    chunk,
                    schedule,
                    noise,
                    steps=settings.denoising_steps(schedule.T),
                    eta=settings.eta,
                )
            outputs.append(x.float().cpu().numpy())
    generated = np.concatenate(outputs) if outputs else np.zeros((0, *shape), np.float32)
    return twelve_from_generated(generated, config.model.lead_set).astype(np.float32)
