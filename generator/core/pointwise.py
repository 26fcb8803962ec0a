"""Kernel-size-1 convolutions computed as batched matrix products or, where that is faster
on the CPU at hand, as oneDNN's convolution."""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# oneDNN's convolution replaces the product only when it is at least this much faster, so
# that timing noise between two near-equal ways does not decide.
CONVOLUTION_ADVANTAGE = 0.9
TIMED_PAIRS = 7


class PointwiseConv1d(nn.Conv1d):
    """``nn.Conv1d(in_channels, out_channels, 1)`` computed as a batched matrix product with
    the bias fused in (``baddbmm``), or as the convolution itself where
    :func:`fastest_products` found that faster.

    The parameters, their initialisation and state names are a Conv1d's, and results equal
    it to float rounding. Which way is faster depends on the CPU: MKL's product ran the
    network's 512-channel one at 310 GFLOP/s and oneDNN's convolution at 140 on an Intel
    Sapphire Rapids machine, while on an AMD EPYC with AVX-512 (where MKL's GEMM reached
    190-200 GFLOP/s) oneDNN's convolution ran it at 400. Training pays for the product in
    memory: the weight's gradient is formed per sample before it is summed (batch x out x
    in floats, 32 MiB at batch 32 and 512 channels, while it lasts).
    """

    use_convolution: bool = False  # set per module by fastest_products

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
        # an unbatched (channels, length) input: the convolution handles it
        if x.dim() != 3 or self.use_convolution:
            return super().forward(x)
        return _batched_product(x, self.weight, self.bias)


def _batched_product(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    weight = weight[:, :, 0].expand(x.shape[0], -1, -1)
    if bias is None:
        return torch.bmm(weight, x)
    return torch.baddbmm(bias[None, :, None], weight, x)


@contextmanager
def fastest_products(model: nn.Module, length: int) -> Iterator[None]:
    """Within the block, run each CPU :class:`PointwiseConv1d` of ``model`` the faster way
    for inputs of ``length`` samples (:func:`convolution_is_faster`); reset on exit.

    Both ways agree to float rounding; the choice is made once per process and shape, so
    that within a process the same seed gives the same samples bit for bit.
    """
    modules = [m for m in model.modules() if isinstance(m, PointwiseConv1d) and m.weight.is_cpu]
    try:
        for module in modules:
            module.use_convolution = convolution_is_faster(
                module.in_channels,
                module.out_channels,
                length,
                bias=module.bias is not None,
                dtype=module.weight.dtype,
                threads=torch.get_num_threads(),
            )
        yield
    finally:
        for module in modules:
            module.__dict__.pop("use_convolution", None)


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
    """Whether oneDNN's convolution beats the batched product (by :data:`CONVOLUTION_ADVANTAGE`)
    on one CPU sample of this shape, timed in alternation; decided once per process.

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
    return convolution < CONVOLUTION_ADVANTAGE * product


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
