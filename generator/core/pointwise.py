"""Kernel-size-1 convolutions computed as batched matrix products."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PointwiseConv1d(nn.Conv1d):
    """``nn.Conv1d(in_channels, out_channels, 1)`` computed as a batched matrix product with
    the bias fused in (``baddbmm``).

    The parameters, their initialisation and state names are a Conv1d's, and results equal
    it to float rounding; on CPU it is about twice as fast as oneDNN's convolution at the
    network's sizes (512 channels x 1000 samples: 1.7 vs 3.6 ms, 310 vs 140 GFLOP/s).
    Training pays for it in memory: the weight's gradient is formed per sample before it is
    summed (batch x out x in floats, 32 MiB at batch 32 and 512 channels, while it lasts).
    """

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
        if x.dim() != 3:  # an unbatched (channels, length) input: the convolution handles it
            return super().forward(x)
        weight = self.weight[:, :, 0].expand(x.shape[0], -1, -1)
        if self.bias is None:
            return torch.bmm(weight, x)
        return torch.baddbmm(self.bias[None, :, None], weight, x)
