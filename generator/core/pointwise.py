"""Kernel-size-1 convolutions computed as batched matrix products or, where that is faster
on the CPU at hand, as oneDNN's convolution."""

from __future__ import annotations

import functools
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Set to "product" or "convolution" to run every kernel-size-1 convolution that way
# instead of timing both ("auto"), e.g. to reproduce samples bit for bit in another process.
WAY_VARIABLE = "GENERATOR_POINTWISE"
WAYS = ("auto", "product", "convolution")
# oneDNN's convolution replaces the product only when it takes at most this share of the
# product's time, so that timing noise between two near-equal ways does not decide.
MAX_CONVOLUTION_TIME_RATIO = 0.9
TIMED_PAIRS = 7
_UNSET = object()


class PointwiseConv1d(nn.Conv1d):
    """``nn.Conv1d(in_channels, out_channels, 1)`` computed as a batched matrix product with
    the bias fused in (``baddbmm``), or as the convolution itself where
    :func:`fastest_pointwise_convolutions` chose that.

    The parameters, their initialisation and state names are a Conv1d's, and results equal
    it to float rounding. Which way is faster depends on the CPU: MKL's product ran the
    network's 512-channel one at 310 GFLOP/s and oneDNN's convolution at 140 on an Intel
    Sapphire Rapids machine, while on an AMD EPYC with AVX-512 (where MKL's GEMM reached
    about 190 GFLOP/s) oneDNN's convolution ran it at about 400. Training pays for the product in
    memory: the weight's gradient is formed per sample before it is summed (batch x out x
    in floats, 32 MiB at batch 32 and 512 channels, while it lasts).
    """

    use_convolution: bool = False  # set per module by fastest_pointwise_convolutions

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size=1, bias=bias, device=device, dtype=dtype
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or self.use_convolution:  # unbatched (channels, length) input too
            return super().forward(x)
        return _batched_product(x, self.weight, self.bias)


def _batched_product(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    weight = weight[:, :, 0].expand(x.shape[0], -1, -1)
    if bias is None:
        return torch.bmm(weight, x)
    return torch.baddbmm(bias[None, :, None], weight, x)


@contextmanager
def fastest_pointwise_convolutions(model: nn.Module, length: int) -> Iterator[None]:
    """Within the block, run each :class:`PointwiseConv1d` of ``model`` the way
    :func:`chosen_ways` names for inputs of ``length`` samples; restored on exit.

    Both ways agree to float rounding. The choice is made once per process and shape, so
    within a process a seed gives the same samples bit for bit; another process may choose
    otherwise unless :data:`WAY_VARIABLE` fixes the way.
    """
    modules = [m for m in model.modules() if isinstance(m, PointwiseConv1d)]
    before = [m.__dict__.get("use_convolution", _UNSET) for m in modules]
    try:
        for module in modules:
            module.use_convolution = _way(module, length) == "convolution"
        yield
    finally:
        for module, value in zip(modules, before, strict=True):
            if value is _UNSET:
                module.__dict__.pop("use_convolution", None)
            else:
                module.use_convolution = value


def chosen_ways(model: nn.Module, length: int) -> dict[str, str]:
    """The way ("product" or "convolution") each shape of ``model``'s kernel-size-1
    convolutions runs in :func:`fastest_pointwise_convolutions`, keyed "in->out"."""
    return {
        f"{m.in_channels}->{m.out_channels}": _way(m, length)
        for m in model.modules()
        if isinstance(m, PointwiseConv1d)
    }


def configured_way() -> str:
    """The way :data:`WAY_VARIABLE` asks for ("auto" when unset); ValueError when unknown."""
    way = os.environ.get(WAY_VARIABLE, "").strip().lower() or "auto"
    if way not in WAYS:
        raise ValueError(f"{WAY_VARIABLE} must be one of {', '.join(WAYS)}, got {way!r}")
    return way


def _way(module: PointwiseConv1d, length: int) -> str:
    """The configured way, or under "auto" the faster on CPU (timed) and the product
    elsewhere."""
    way = configured_way()
    if way != "auto":
        return way
    # any parameter tells device and dtype; a weight-normalised .weight would be computed
    stored = next(module.parameters())
    faster = stored.is_cpu and convolution_is_faster(
        module.in_channels,
        module.out_channels,
        length,
        bias=module.bias is not None,
        dtype=stored.dtype,
        threads=torch.get_num_threads(),
    )
    return "convolution" if faster else "product"


@functools.cache
def convolution_is_faster(
    in_channels: int,
    out_channels: int,
    length: int,
    *,
    bias: bool,
    dtype: torch.dtype,
    threads: int,
) -> bool:
    """Whether oneDNN's convolution beats the batched product (by
    :data:`MAX_CONVOLUTION_TIME_RATIO`) on one CPU sample of this shape (what the sampler
    runs per call at paper size), timed in alternation; decided once per process.

    ``threads`` (torch's intra-op thread count) is part of the key: the answer may change
    with it.
    """
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1, in_channels, length, generator=generator, dtype=dtype)
    weight = torch.randn(out_channels, in_channels, 1, generator=generator, dtype=dtype)
    b = torch.randn(out_channels, generator=generator, dtype=dtype) if bias else None
    with torch.no_grad():
        convolution, product = _alternating_median_times(
            lambda: F.conv1d(x, weight, b), lambda: _batched_product(x, weight, b)
        )
    return convolution <= MAX_CONVOLUTION_TIME_RATIO * product


def _alternating_median_times(
    first: Callable[[], object], second: Callable[[], object]
) -> tuple[float, float]:
    """Median wall times of ``first`` and ``second`` called in turn (after a warm-up each),
    so that a host whose speed drifts slows both alike."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(TIMED_PAIRS):
        for action, spent in zip((first, second), times, strict=True):
            started = time.perf_counter()
            action()
            spent.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])
