"""Noise schedule, DDPM/DDIM samplers, seeding and the 12-lead sampling helper."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generator.core.config import DiffusionConfig, GeneratorConfig
from generator.core.diffusion import (
    NoiseSchedule,
    SampleNoise,
    SamplingError,
    ddim_timesteps,
    sample_ddim,
    sample_ddpm,
    sample_seed,
)
from generator.core.leads import einthoven_error
from generator.core.network import SSSDECG
from generator.core.sampling import (
    SamplerSettings,
    generate,
    micro_batch_size,
    resolve_device,
)

LENGTH = 64


@pytest.fixture(scope="module")
def tiny():
    """A tiny nle model whose zero-initialised output layer is randomised (so labels matter)."""
    torch.manual_seed(0)
    config = GeneratorConfig.tiny(signal_length=LENGTH)
    config = GeneratorConfig(config.model, DiffusionConfig(T=20))
    model = SSSDECG(config.model)
    with torch.no_grad():
        model.final_conv[2].conv.weight.normal_(0, 0.05)
    return model, config


def test_schedule_matches_closed_form():
    schedule = NoiseSchedule.from_config(DiffusionConfig())
    betas = np.linspace(1e-4, 0.02, 200)
    alpha_bars = np.cumprod(1 - betas)
    assert np.allclose(schedule.alpha_bars.numpy(), alpha_bars, rtol=1e-12)
    t = 57
    beta_tilde = betas[t] * (1 - alpha_bars[t - 1]) / (1 - alpha_bars[t])
    assert schedule.sigmas[t].item() == pytest.approx(np.sqrt(beta_tilde), rel=1e-12)
    assert schedule.sigmas[0].item() == 0.0
    coefficient = schedule.at("alpha_bars", torch.tensor([0, 199]), torch.zeros(2, 8, 10))
    assert coefficient.shape == (2, 1, 1)


def test_per_sample_seeds_are_distinct_and_stable():
    assert sample_seed(7, 3) == sample_seed(7, 3)
    assert len({sample_seed(s, i) for s in range(5) for i in range(50)}) == 250
    with pytest.raises(ValueError):
        sample_seed(-1, 0)


def test_ddim_timesteps():
    assert ddim_timesteps(200, 200) == list(range(199, -1, -1))
    steps = ddim_timesteps(200, 10)
    assert steps[0] == 199 and steps[-1] == 0 and len(steps) == 10
    with pytest.raises(ValueError):
        ddim_timesteps(200, 0)


def test_one_step_ddim_denoises_from_the_last_step():
    assert ddim_timesteps(200, 1) == [199]

    class Constant(torch.nn.Module):  # predicts noise 1 everywhere, at any step
        def forward(self, x, labels, steps):
            return torch.ones_like(x)

    schedule = NoiseSchedule.from_config(DiffusionConfig(T=200))
    noise = SampleNoise(0, [0], (8, 16))
    x = sample_ddim(Constant(), torch.zeros(1, 71), schedule, noise, steps=1)
    alpha_bar = float(schedule.alpha_bars[199])
    start = SampleNoise(0, [0], (8, 16)).normal("cpu")
    expected = (start - (1 - alpha_bar) ** 0.5) / alpha_bar**0.5
    torch.testing.assert_close(x, expected)


def test_an_unavailable_device_is_named():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="'cuda:99' is not available"):
        resolve_device("cuda:99")
    with pytest.raises(ValueError, match="unknown device 'gpu0'"):
        resolve_device("gpu0")


def test_same_seed_same_ecgs_and_twelve_leads(tiny):
    model, config = tiny
    labels = [["NORM", "SR"], ["AFIB"]]
    settings = SamplerSettings(batch_size=2)
    first = generate(model, config, labels, seed=11, settings=settings)
    second = generate(model, config, labels, seed=11, settings=settings)
    other = generate(model, config, labels, seed=12, settings=settings)
    assert first.shape == (2, 12, LENGTH) and first.dtype == np.float32
    assert np.array_equal(first, second)
    assert not np.allclose(first, other)
    assert einthoven_error(first[0]) < 1e-5


def test_sample_is_independent_of_batch_split(tiny):
    model, config = tiny
    labels = [["NORM"], ["IMI", "SR"], ["AFIB"], []]
    whole = generate(model, config, labels, seed=3, settings=SamplerSettings(batch_size=4))
    chunk = generate(
        model, config, labels[2:], seed=3, start_index=2, settings=SamplerSettings(batch_size=1)
    )
    np.testing.assert_allclose(chunk, whole[2:], rtol=1e-4, atol=1e-5)


def test_micro_batches_change_no_sample(tiny):
    model, config = tiny
    labels = [["NORM"], ["IMI", "SR"], ["AFIB"], [], ["PVC"]]
    whole = generate(
        model, config, labels, 4, settings=SamplerSettings(batch_size=5, micro_batch=5)
    )
    for size in (1, 2):
        split = generate(
            model, config, labels, 4, settings=SamplerSettings(batch_size=5, micro_batch=size)
        )
        np.testing.assert_allclose(split, whole, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="micro_batch"):
        generate(model, config, labels, 4, settings=SamplerSettings(micro_batch=0))


def test_cpu_micro_batches_keep_one_activation_in_cache_and_gpus_take_the_batch():
    paper = GeneratorConfig.paper().model  # 2 x 256 x 1000 float32 = 2 MB a sample
    small = GeneratorConfig.tiny(signal_length=LENGTH).model
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert micro_batch_size(paper, cpu, 32) == 1
    assert micro_batch_size(paper, gpu, 32) == 32
    activation = 2 * small.res_channels * LENGTH * 4
    assert micro_batch_size(small, cpu, 10_000) == 2 * 1024 * 1024 // activation
    assert micro_batch_size(small, cpu, 3) == 3


def test_different_labels_give_different_output(tiny):
    model, config = tiny
    a = generate(model, config, [["NORM", "SR"]], seed=5)
    b = generate(model, config, [["AFIB", "LVH"]], seed=5)
    assert np.abs(a - b).max() > 1e-3


def test_cached_and_uncached_kernels_sample_identically(tiny):
    model, config = tiny
    labels = [["NORM"], ["PVC"]]
    cached = generate(model, config, labels, seed=9, settings=SamplerSettings(cache_kernels=True))
    plain = generate(model, config, labels, seed=9, settings=SamplerSettings(cache_kernels=False))
    assert np.array_equal(cached, plain)


def test_ddim_with_fewer_steps_is_deterministic(tiny):
    model, config = tiny
    settings = SamplerSettings(sampler="ddim", steps=5)
    first = generate(model, config, [["NORM"]], seed=1, settings=settings)
    second = generate(model, config, [["NORM"]], seed=1, settings=settings)
    ddpm = generate(model, config, [["NORM"]], seed=1)
    assert np.array_equal(first, second)
    assert np.isfinite(first).all() and not np.allclose(first, ddpm)
    noisy = SamplerSettings(sampler="ddim", steps=5, eta=1.0)
    eta_one = generate(model, config, [["NORM"]], seed=1, settings=noisy)
    assert np.array_equal(eta_one, generate(model, config, [["NORM"]], seed=1, settings=noisy))
    assert not np.allclose(eta_one, first)


def test_invalid_sampler_settings(tiny):
    model, config = tiny
    with pytest.raises(ValueError, match="DDPM"):
        generate(model, config, [["NORM"]], 0, settings=SamplerSettings(steps=5))
    with pytest.raises(ValueError, match="sampler"):
        generate(model, config, [["NORM"]], 0, settings=SamplerSettings(sampler="euler"))


def test_non_finite_samples_raise():
    class Exploding(torch.nn.Module):
        def forward(self, x, labels, steps):
            return torch.full_like(x, float("inf"))

    schedule = NoiseSchedule.from_config(DiffusionConfig(T=5))
    noise = SampleNoise(0, [0, 1], (8, 16))
    with pytest.raises(SamplingError, match="2 sample"):
        sample_ddpm(Exploding(), torch.zeros(2, 71), schedule, noise)
