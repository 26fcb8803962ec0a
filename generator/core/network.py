"""The SSSD-ECG denoising network: residual blocks of conv, two S4 layers and gated units.

Module attribute names follow the SSSD-ECG release (init_conv, residual_layer, S41, S42,
fc_t, fc_label, res_conv, skip_conv, final_conv) so that its checkpoints map by renaming.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from generator.core.config import SSSDConfig
from generator.core.labels import build_label_embedding
from generator.core.pointwise import PointwiseConv1d
from generator.core.s4 import S4, S4Layer


def diffusion_step_embedding(steps: Tensor, dim: int) -> Tensor:
    """Sinusoidal embedding (B, dim) of diffusion steps (B,): sin half then cos half."""
    half = dim // 2
    scale = math.log(10000) / (half - 1)
    freqs = torch.exp(torch.arange(half, device=steps.device, dtype=torch.float32) * -scale)
    angles = steps.float().reshape(-1, 1) * freqs
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class WeightNorm(nn.Module):
    """Weight normalisation as a parametrisation: ``weight = g * v / ||v||``, the norm taken
    over every dimension but the first (what ``torch.nn.utils.parametrizations.weight_norm``
    computes, under the same state names ``parametrizations.weight.original0/1``).

    On the meta device the split is shapes only: torch's own computes the norm there through
    its Python reference ops, whose first call imports ``torch._dynamo`` (about 1 s of every
    checkpoint load in a fresh process).
    """

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return torch._weight_norm(weight_v, weight_g, 0)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        if weight.is_meta:
            return weight.new_empty((weight.shape[0],) + (1,) * (weight.dim() - 1)), weight
        return torch.norm_except_dim(weight, 2, 0), weight


def _weight_normed_conv(c_in: int, c_out: int, kernel_size: int) -> nn.Conv1d:
    # The release also called kaiming_normal_ on the derived weight, which weight norm
    # recomputes on every forward; the default init of v is what it effectively used.
    if kernel_size == 1:
        conv: nn.Conv1d = PointwiseConv1d(c_in, c_out)
    else:
        conv = nn.Conv1d(c_in, c_out, kernel_size, padding=(kernel_size - 1) // 2)
    parametrize.register_parametrization(conv, "weight", WeightNorm(), unsafe=True)
    return conv


class Conv(nn.Module):
    """Weight-normalised 1-D convolution with 'same' padding."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int = 3) -> None:
        super().__init__()
        self.conv = _weight_normed_conv(c_in, c_out, kernel_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class ZeroConv1d(nn.Module):
    """1x1 convolution initialised at zero, so the untrained network predicts zero noise."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = PointwiseConv1d(c_in, c_out)
        nn.init.zeros_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class ResidualBlock(nn.Module):
    """Step embedding, conv 3, S4, label embedding, S4, gated tanh-sigmoid, res/skip 1x1."""

    def __init__(self, config: SSSDConfig) -> None:
        super().__init__()
        res = config.res_channels
        self.fc_t = nn.Linear(config.step_embed_out, res)
        self.conv_layer = Conv(res, 2 * res, kernel_size=3)
        self.S41 = S4Layer(2 * res, config.s4)
        self.fc_label = nn.Linear(config.label_embed_dim, 2 * res)
        self.S42 = S4Layer(2 * res, config.s4)
        self.res_conv = _weight_normed_conv(res, res, 1)
        self.skip_conv = _weight_normed_conv(res, config.skip_channels, 1)

    def forward(self, x: Tensor, label_embed: Tensor, step_embed: Tensor) -> tuple[Tensor, Tensor]:
        """Return the next residual input and this block's skip contribution."""
        h = x + self.fc_t(step_embed)[:, :, None]
        h = self.S41(self.conv_layer(h))
        h = self.S42(h + self.fc_label(label_embed)[:, :, None])
        res = x.shape[1]
        gated = torch.tanh(h[:, :res]) * torch.sigmoid(h[:, res:])
        return (x + self.res_conv(gated)) * math.sqrt(0.5), self.skip_conv(gated)


class ResidualGroup(nn.Module):
    """The diffusion-step MLP and the stack of residual blocks, skips summed and scaled."""

    def __init__(self, config: SSSDConfig) -> None:
        super().__init__()
        self.step_embed_in = config.step_embed_in
        self.fc_t1 = nn.Linear(config.step_embed_in, config.step_embed_mid)
        self.fc_t2 = nn.Linear(config.step_embed_mid, config.step_embed_out)
        self.residual_blocks = nn.ModuleList(
            ResidualBlock(config) for _ in range(config.num_res_layers)
        )

    def forward(self, x: Tensor, label_embed: Tensor, steps: Tensor) -> Tensor:
        step_embed = diffusion_step_embedding(steps, self.step_embed_in).to(self.fc_t1.weight.dtype)
        step_embed = nn.functional.silu(self.fc_t1(step_embed))
        step_embed = nn.functional.silu(self.fc_t2(step_embed))
        skip = torch.zeros((), device=x.device)
        for block in self.residual_blocks:
            x, skip_n = block(x, label_embed, step_embed)
            skip = skip + skip_n
        return skip * math.sqrt(1.0 / len(self.residual_blocks))


class SSSDECG(nn.Module):
    """epsilon_theta(x_t, labels, t): predicts the noise in (B, leads, L) millivolt signals."""

    def __init__(self, config: SSSDConfig) -> None:
        super().__init__()
        config.validate()
        self.config = config
        self.init_conv = nn.Sequential(Conv(config.channels, config.res_channels, 1), nn.ReLU())
        self.label_encoder = build_label_embedding(
            config.label_variant,
            len(config.label_vocabulary),
            config.label_embed_dim,
            freeze_present_state=config.freeze_present_state,
        )
        self.residual_layer = ResidualGroup(config)
        self.final_conv = nn.Sequential(
            Conv(config.skip_channels, config.skip_channels, 1),
            nn.ReLU(),
            ZeroConv1d(config.skip_channels, config.channels),
        )

    def forward(self, x: Tensor, labels: Tensor, steps: Tensor) -> Tensor:
        """x: (B, C, L) noisy signals; labels: (B, K) multi-hot; steps: (B,) diffusion steps."""
        label_embed = self.label_encoder(labels)
        h = self.init_conv(x)
        return self.final_conv(self.residual_layer(h, label_embed, steps))

    def s4_modules(self) -> Iterator[S4]:
        """Every S4 convolution in the network."""
        return (m for m in self.modules() if isinstance(m, S4))

    @contextmanager
    def cache_kernels(self, length: int | None = None) -> Iterator[None]:
        """Compute every S4 kernel once for the block (e.g. a sampling run) and reuse it.

        The kernels depend only on the weights, so this is exact as long as the weights do
        not change inside the block; the caches are cleared on exit.
        """
        length = length or self.config.signal_length
        modules = list(self.s4_modules())
        try:
            for module in modules:
                module.cache_kernel(length)
            yield
        finally:
            for module in modules:
                module.clear_kernel_cache()

    def kernel_cache_state(self, length: int | None = None) -> dict[str, Tensor]:
        """Every S4 module's kernel spectrum (``S4.kernel_spectrum``) keyed by module name."""
        length = length or self.config.signal_length
        with torch.no_grad():
            return {
                name: module.kernel_spectrum(length)
                for name, module in self.named_modules()
                if isinstance(module, S4)
            }

    @contextmanager
    def use_kernel_cache(
        self, state: Mapping[str, Tensor], length: int | None = None
    ) -> Iterator[None]:
        """Run the block with the spectra of :meth:`kernel_cache_state` at ``length``
        (default: the configured signal length); cleared on exit."""
        length = length or self.config.signal_length
        modules = {name: m for name, m in self.named_modules() if isinstance(m, S4)}
        if set(state) != set(modules):
            raise ValueError("the kernel cache names other S4 modules than this network's")
        try:
            for name, module in modules.items():
                module.cache_kernel(length, state[name])
            yield
        finally:
            for module in modules.values():
                module.clear_kernel_cache()
