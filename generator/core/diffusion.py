"""DDPM noise schedule, epsilon-prediction loss, DDPM ancestral and DDIM samplers.

Randomness during sampling comes from one ``torch.Generator`` per sample, seeded from the
job seed and the sample's index in the job, so sample i is the same whatever the batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from generator.core.config import DiffusionConfig

# The noise predictor as the samplers call it: (x_t, labels, steps) -> predicted noise.
Denoiser = Callable[[Tensor, Tensor, Tensor], Tensor]


class SamplingError(RuntimeError):
    """Sampling produced unusable output (NaN or infinite values)."""


@dataclass(frozen=True)
class NoiseSchedule:
    """Per-step coefficients of the linear-beta DDPM schedule (float64, CPU)."""

    betas: Tensor
    alphas: Tensor
    alpha_bars: Tensor
    sigmas: Tensor  # posterior standard deviation sqrt(beta_tilde_t); sigma_0 = 0

    @classmethod
    def from_config(cls, config: DiffusionConfig) -> NoiseSchedule:
        """Build the schedule of ``config`` (T steps, beta linear from beta_0 to beta_T)."""
        config.validate()
        betas = torch.linspace(config.beta_0, config.beta_T, config.T, dtype=torch.float64)
        alphas = 1 - betas
        alpha_bars = torch.cumprod(alphas, dim=0)
        previous = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bars[:-1]])
        beta_tilde = betas * (1 - previous) / (1 - alpha_bars)
        return cls(betas, alphas, alpha_bars, beta_tilde.sqrt())

    @property
    def T(self) -> int:
        return len(self.betas)

    def at(self, name: str, steps: Tensor, like: Tensor) -> Tensor:
        """Coefficient ``name`` at per-sample steps (B,), shaped (B, 1, 1) like ``like``."""
        values = getattr(self, name).to(like.device)[steps.to(like.device)]
        return values.to(like.dtype).reshape(-1, 1, 1)


def sample_seed(seed: int, index: int) -> int:
    """The seed of sample ``index`` of a job seeded with ``seed`` (both non-negative)."""
    if seed < 0 or index < 0:
        raise ValueError(f"seed and sample index must be non-negative, got {seed}, {index}")
    state = np.random.SeedSequence([seed, index]).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 32 | int(state[1])


class SampleNoise:
    """Independent Gaussian streams, one per sample, drawn on the CPU for reproducibility."""

    def __init__(self, seed: int, indices: Sequence[int], shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.generators = [
            torch.Generator().manual_seed(sample_seed(seed, index)) for index in indices
        ]

    def __len__(self) -> int:
        return len(self.generators)

    def normal(self, device: torch.device | str, dtype: torch.dtype = torch.float32) -> Tensor:
        """One standard normal draw of ``shape`` per sample, stacked to (B, *shape)."""
        draws = [torch.randn(self.shape, generator=g) for g in self.generators]
        return torch.stack(draws).to(device=device, dtype=dtype)


def diffusion_draws(
    schedule: NoiseSchedule, shape: torch.Size, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """A uniformly drawn step per sample and standard normal noise of ``shape``."""
    steps = torch.randint(schedule.T, (shape[0],), generator=generator)
    return steps, torch.randn(shape, generator=generator)


def training_loss(
    model: nn.Module,
    x0: Tensor,
    labels: Tensor,
    schedule: NoiseSchedule,
    generator: torch.Generator | None = None,
    *,
    draws: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """MSE between true and predicted noise at uniformly drawn steps (one per sample).

    ``draws`` gives the (steps, noise) of each sample instead of drawing them here.
    """
    steps, noise = draws or diffusion_draws(schedule, x0.shape, generator)
    noise = noise.to(x0.device, x0.dtype)
    steps = steps.to(x0.device)
    predicted = model(noised(schedule, x0, steps, noise), labels, steps)
    return nn.functional.mse_loss(predicted.float(), noise.float())


def noised(schedule: NoiseSchedule, x0: Tensor, steps: Tensor, noise: Tensor) -> Tensor:
    """x_t of the forward process: sqrt(ᾱ_t)·x0 + sqrt(1 − ᾱ_t)·noise, ``steps`` per sample."""
    alpha_bar = schedule.at("alpha_bars", steps, x0)  # (B, 1, 1)
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise


def _check_finite(x: Tensor) -> Tensor:
    if not torch.isfinite(x).all():
        bad = int((~torch.isfinite(x)).flatten(1).any(dim=1).sum())
        raise SamplingError(f"sampling produced NaN or infinite values in {bad} sample(s)")
    return x


@torch.no_grad()
def sample_ddpm(
    model: Denoiser, labels: Tensor, schedule: NoiseSchedule, noise: SampleNoise
) -> Tensor:
    """DDPM ancestral sampling through all T steps; returns x_0 (B, C, L)."""
    device = labels.device
    x = noise.normal(device)
    batch = len(noise)
    for t in range(schedule.T - 1, -1, -1):
        steps = torch.full((batch,), t, device=device, dtype=torch.long)
        eps = model(x, labels, steps).to(x.dtype)
        alpha, alpha_bar = float(schedule.alphas[t]), float(schedule.alpha_bars[t])
        x = (x - (1 - alpha) / (1 - alpha_bar) ** 0.5 * eps) / alpha**0.5
        if t > 0:
            x = x + float(schedule.sigmas[t]) * noise.normal(device)
    return _check_finite(x)


def ddim_timesteps(total: int, steps: int) -> list[int]:
    """Descending, evenly spaced subset of ``steps`` diffusion steps out of ``total``.

    Always starts at T-1 (pure noise); a single step is T-1 alone.
    """
    if not 1 <= steps <= total:
        raise ValueError(f"DDIM steps must lie in 1..{total}, got {steps}")
    points = np.linspace(0, total - 1, steps) if steps > 1 else [total - 1]
    return sorted({int(round(s)) for s in points}, reverse=True)


@torch.no_grad()
def sample_ddim(
    model: Denoiser,
    labels: Tensor,
    schedule: NoiseSchedule,
    noise: SampleNoise,
    *,
    steps: int,
    eta: float = 0.0,
) -> Tensor:
    """DDIM sampling with ``steps`` denoising steps (eta=0: deterministic given x_T)."""
    if eta < 0:
        raise ValueError(f"DDIM eta must be >= 0, got {eta}")
    device = labels.device
    x = noise.normal(device)
    batch = len(noise)
    timesteps = ddim_timesteps(schedule.T, steps)
    for i, t in enumerate(timesteps):
        t_prev = timesteps[i + 1] if i + 1 < len(timesteps) else -1
        alpha_bar = float(schedule.alpha_bars[t])
        alpha_bar_prev = float(schedule.alpha_bars[t_prev]) if t_prev >= 0 else 1.0
        eps = model(x, labels, torch.full((batch,), t, device=device, dtype=torch.long))
        eps = eps.to(x.dtype)
        x0 = (x - (1 - alpha_bar) ** 0.5 * eps) / alpha_bar**0.5
        sigma = (
            eta * ((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev)) ** 0.5
        )
        x = alpha_bar_prev**0.5 * x0 + max(1 - alpha_bar_prev - sigma**2, 0.0) ** 0.5 * eps
        if sigma > 0 and t_prev >= 0:
            x = x + sigma * noise.normal(device)
    return _check_finite(x)
