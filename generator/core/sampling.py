"""Generate 12-lead ECGs (mV, standard lead order) from label sets with a trained model."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from generator.core.config import GeneratorConfig, SSSDConfig
from generator.core.diffusion import (
    Denoiser,
    NoiseSchedule,
    SampleNoise,
    sample_ddim,
    sample_ddpm,
)
from generator.core.labels import encode_label_sets
from generator.core.leads import twelve_from_generated
from generator.core.network import SSSDECG
from generator.core.pointwise import PointwiseConv1d, fastest_pointwise_convolutions

SAMPLERS: tuple[str, ...] = ("ddpm", "ddim")

# On CPU the network runs on as many samples at once as keep one S4 activation (2 x
# res_channels x length float32 values) within this many bytes, so the elementwise work
# and FFTs between the matrix products stay in cache; a larger batch only costs memory
# traffic there, since each sample's matrix products are already large.
CPU_ACTIVATION_BUDGET_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class SamplerSettings:
    """How to sample: 'ddpm' (all T steps) or 'ddim' (``steps`` steps, ``eta``)."""

    sampler: str = "ddpm"
    steps: int | None = None
    eta: float = 0.0
    batch_size: int = 16
    cache_kernels: bool = True
    micro_batch: int | None = None  # samples per network call; None: see micro_batch_size

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
        if self.micro_batch is not None and self.micro_batch < 1:
            raise ValueError(f"micro_batch must be positive, got {self.micro_batch}")

    def denoising_steps(self, total_steps: int) -> int:
        """Number of network evaluations per sample."""
        return total_steps if self.sampler == "ddpm" else (self.steps or total_steps)


def micro_batch_size(config: SSSDConfig, device: torch.device, batch_size: int) -> int:
    """Samples per network call: the whole batch on a GPU, a cache-sized share on CPU."""
    if device.type != "cpu":
        return batch_size
    activation = 2 * config.res_channels * config.signal_length * 4
    return max(1, min(batch_size, CPU_ACTIVATION_BUDGET_BYTES // activation))


def micro_batched(model: SSSDECG, size: int) -> Denoiser:
    """The network as a function of (x, labels, steps) that runs ``size`` samples a call.

    Each sample's output is independent of the others', so splitting changes no result.
    """

    def denoise(x: Tensor, labels: Tensor, steps: Tensor) -> Tensor:
        if len(x) <= size:
            return model(x, labels, steps)
        parts = [
            model(x[i : i + size], labels[i : i + size], steps[i : i + size])
            for i in range(0, len(x), size)
        ]
        return torch.cat(parts)

    return denoise


def compile_for_sampling(model: SSSDECG) -> SSSDECG:
    """Fold the weight norm into plain weights and compile each residual block, in place.

    Only for a model that is used to sample from, never trained or saved again (its
    state-dict keys change). ``torch.compile`` fuses the elementwise work between the
    matrix products and FFTs of a block; one compiled graph serves all blocks. It takes
    seconds to a minute once per process and needs a C++ compiler on CPU; outputs equal
    the eager ones to float rounding.
    """
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Conv1d) and parametrize.is_parametrized(child, "weight"):
                setattr(parent, name, _plain_conv(child))
    for block in model.residual_layer.residual_blocks:
        block.compile()
    return model


def _plain_conv(conv: nn.Conv1d) -> nn.Conv1d:
    """A plain Conv1d holding ``conv``'s current (weight-normalised) weight and its bias.

    A new module, not ``remove_parametrizations``: that edits the parametrised class, which
    modules copied from one checkpoint skeleton share.
    """
    if isinstance(conv, PointwiseConv1d):
        plain: nn.Conv1d = PointwiseConv1d(
            conv.in_channels, conv.out_channels, bias=conv.bias is not None, device="meta"
        )
    else:
        plain = nn.Conv1d(
            conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
            padding=conv.padding, dilation=conv.dilation, groups=conv.groups,
            bias=conv.bias is not None, device="meta",
        )  # fmt: skip
    plain.weight = nn.Parameter(conv.weight.detach().clone(), requires_grad=False)
    plain.bias = conv.bias
    return plain


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
    size = settings.micro_batch or micro_batch_size(config.model, device, settings.batch_size)
    denoise = micro_batched(model, size)
    # parametrize.cached: each weight-normalised weight is computed once, not every step.
    products = fastest_pointwise_convolutions(model, config.model.signal_length)
    with cache, parametrize.cached(), products:
        for start in range(0, len(labels), settings.batch_size):
            chunk = torch.from_numpy(labels[start : start + settings.batch_size]).to(device)
            indices = range(start_index + start, start_index + start + len(chunk))
            noise = SampleNoise(seed, indices, shape)
            if settings.sampler == "ddpm":
                x = sample_ddpm(denoise, chunk, schedule, noise)
            else:
                x = sample_ddim(
                    denoise,
                    chunk,
                    schedule,
                    noise,
                    steps=settings.denoising_steps(schedule.T),
                    eta=settings.eta,
                )
            outputs.append(x.float().cpu().numpy())
    generated = np.concatenate(outputs) if outputs else np.zeros((0, *shape), np.float32)
    return twelve_from_generated(generated, config.model.lead_set).astype(np.float32)
