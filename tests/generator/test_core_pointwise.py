"""Kernel-size-1 convolutions, as batched matrix products or oneDNN's convolution, equal
torch's convolution; sampling picks the faster way per shape."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from generator.core import pointwise
from generator.core.pointwise import PointwiseConv1d, fastest_pointwise_convolutions
from tests.generator.operators import batched_products, operators_run


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


@pytest.fixture
def fresh_choices():
    """Forget the process's timed choices before and after the test."""
    pointwise.convolution_is_faster.cache_clear()
    yield
    pointwise.convolution_is_faster.cache_clear()


def products_and_convolutions(action) -> tuple[int, int]:
    """How many batched products and convolutions ``action()`` ran."""
    _, counts = operators_run(action)
    return batched_products(counts), counts["aten::convolution"]


@pytest.mark.parametrize("bias", [True, False])
def test_the_convolution_way_gives_the_products_result(bias):
    conv = PointwiseConv1d(16, 12, bias=bias)
    x = torch.randn(3, 16, 70)
    assert products_and_convolutions(lambda: conv(x)) == (1, 0)
    product = conv(x)
    conv.use_convolution = True
    assert products_and_convolutions(lambda: conv(x)) == (0, 1)
    torch.testing.assert_close(conv(x), product, rtol=1e-6, atol=1e-6)


def test_each_module_runs_the_way_chosen_for_its_shape_and_is_restored_on_exit(monkeypatch):
    asked = []

    def decide(in_channels, out_channels, length, **key):
        asked.append((in_channels, out_channels, length, key["bias"]))
        return in_channels == 8

    monkeypatch.setattr(pointwise, "convolution_is_faster", decide)
    model = nn.Sequential(PointwiseConv1d(8, 4), PointwiseConv1d(4, 4, bias=False))
    model[1].use_convolution = True  # set by hand before the block
    x = torch.randn(2, 8, 30)
    expected = model(x)
    with fastest_pointwise_convolutions(model, length=30):
        assert [m.use_convolution for m in model] == [True, False]
        with fastest_pointwise_convolutions(model, length=30):  # nested: the same choice
            pass
        assert [m.use_convolution for m in model] == [True, False]
        torch.testing.assert_close(model(x), expected, rtol=1e-6, atol=1e-6)
    assert asked == [(8, 4, 30, True), (4, 4, 30, False)] * 2
    assert [m.use_convolution for m in model] == [False, True]  # as before the block
    assert "use_convolution" not in model[0].__dict__


@pytest.mark.parametrize(
    ("times", "convolution"), [((0.85, 1.0), True), ((0.9, 1.0), True), ((0.95, 1.0), False)]
)
def test_the_convolution_is_chosen_only_when_clearly_faster(
    monkeypatch, fresh_choices, times, convolution
):
    monkeypatch.setattr(pointwise, "_alternating_median_times", lambda first, second: times)
    key = {"bias": True, "dtype": torch.float32, "threads": 1}
    assert pointwise.convolution_is_faster(24, 16, 64, **key) is convolution


def test_the_choice_is_timed_once_per_process_and_shape(monkeypatch, fresh_choices):
    timings = []

    def timed(first, second):
        timings.append((first(), second()))
        return 1.0, 2.0

    monkeypatch.setattr(pointwise, "_alternating_median_times", timed)
    conv = PointwiseConv1d(24, 16)
    assert pointwise.chosen_ways(nn.Sequential(conv, PointwiseConv1d(24, 16)), 64) == {
        "24->16": "convolution"
    }
    assert len(timings) == 1  # the second module of the same shape reused the choice
    first, second = timings[0]
    assert first.shape == second.shape == (1, 16, 64)  # both ways, on one sample
    torch.testing.assert_close(first, second, rtol=1e-6, atol=1e-6)
    pointwise.chosen_ways(conv, 65)
    assert len(timings) == 2


@pytest.mark.parametrize("way", ["product", "convolution"])
def test_the_environment_fixes_the_way_without_timing(monkeypatch, fresh_choices, way):
    monkeypatch.setenv(pointwise.WAY_VARIABLE, way.upper())
    monkeypatch.setattr(pointwise, "_alternating_median_times", pytest.fail)
    model = nn.Sequential(PointwiseConv1d(8, 4))
    assert pointwise.chosen_ways(model, 30) == {"8->4": way}
    with fastest_pointwise_convolutions(model, length=30):
        assert model[0].use_convolution is (way == "convolution")


def test_an_unknown_way_is_named(monkeypatch):
    monkeypatch.setenv(pointwise.WAY_VARIABLE, "fft")
    with pytest.raises(ValueError, match="GENERATOR_POINTWISE must be one of auto, product, "):
        pointwise.chosen_ways(PointwiseConv1d(8, 4), 30)


def test_alternating_timings_tell_the_slower_action():
    slow, fast = pointwise._alternating_median_times(lambda: time.sleep(0.003), lambda: None)
    assert slow >= 0.003 > fast
