"""Kernel-size-1 convolutions, as batched matrix products or oneDNN's convolution, equal
torch's convolution; sampling picks the faster way per shape."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from generator.core import pointwise
from generator.core.pointwise import PointwiseConv1d, fastest_products


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


@pytest.mark.parametrize("bias", [True, False])
def test_the_convolution_way_gives_the_products_result(bias):
    conv = PointwiseConv1d(16, 12, bias=bias)
    x = torch.randn(3, 16, 70)
    product = conv(x)
    conv.use_convolution = True
    torch.testing.assert_close(conv(x), product, rtol=1e-6, atol=1e-6)


def test_fastest_products_sets_each_module_by_its_shape_and_resets_on_exit(monkeypatch):
    asked = []

    def decide(in_channels, out_channels, length, **key):
        asked.append((in_channels, out_channels, length, key["bias"]))
        return in_channels == 8

    monkeypatch.setattr(pointwise, "convolution_is_faster", decide)
    model = nn.Sequential(PointwiseConv1d(8, 4), PointwiseConv1d(4, 4, bias=False))
    x = torch.randn(2, 8, 30)
    expected = model(x)
    with fastest_products(model, length=30):
        assert [m.use_convolution for m in model] == [True, False]
        torch.testing.assert_close(model(x), expected, rtol=1e-6, atol=1e-6)
    assert asked == [(8, 4, 30, True), (4, 4, 30, False)]
    assert not any(m.use_convolution for m in model)  # back to the products


def test_the_choice_is_made_once_per_process_and_shape():
    key = {"bias": True, "dtype": torch.float32, "threads": torch.get_num_threads()}
    pointwise.convolution_is_faster.cache_clear()
    first = pointwise.convolution_is_faster(24, 16, 64, **key)
    assert pointwise.convolution_is_faster(24, 16, 64, **key) is first
    info = pointwise.convolution_is_faster.cache_info()
    assert (info.hits, info.misses) == (1, 1)
    pointwise.convolution_is_faster(24, 16, 65, **key)
    assert pointwise.convolution_is_faster.cache_info().misses == 2


def test_alternating_timings_tell_the_slower_action():
    slow, fast = pointwise._alternating_median_times(lambda: time.sleep(0.003), lambda: None)
    assert slow >= 0.003 > fast
