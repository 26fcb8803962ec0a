"""Kernel-size-1 convolutions as batched matrix products equal torch's convolution."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from generator.core.pointwise import PointwiseConv1d


@pytest.mark.parametrize("bias", [True, False])
def test_a_pointwise_conv_is_a_kernel_size_1_conv(bias):
    torch.manual_seed(5)
    ours = PointwiseConv1d(6, 4, bias=bias)
    torch.manual_seed(5)
    theirs = nn.Conv1d(6, 4, kernel_size=1, bias=bias)
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    for name, value in ours.state_dict().items():
        assert torch.equal(value, theirs.state_dict()[name])  # the same initialisation
    x = torch.randn(3, 6, 50, requires_grad=True)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-6, atol=1e-6)
    unbatched = torch.randn(6, 50)
    torch.testing.assert_close(ours(unbatched), theirs(unbatched), rtol=1e-6, atol=1e-6)
    ours(x).square().sum().backward()
    grad = x.grad.clone()
    x.grad = None
    theirs(x).square().sum().backward()
    torch.testing.assert_close(grad, x.grad, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-5, atol=1e-4)


def test_a_strided_input_gives_the_same_result():
    conv = PointwiseConv1d(8, 5)
    x = torch.randn(2, 40, 8).transpose(1, 2)  # (batch, channels, length), not contiguous
    torch.testing.assert_close(conv(x), conv(x.contiguous()), rtol=1e-6, atol=1e-6)
