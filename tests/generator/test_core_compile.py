"""Sampling with the network compiled by torch.compile: the same ECGs as eager sampling."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError

from generator.backends.sssd_nle import SssdNleBackend
from generator.core import pointwise
from generator.core.pointwise import PointwiseConv1d
from generator.management.commands.sample_pool import backend_choice
from tests.generator.checkpoints import tiny_checkpoint

DDIM = {"sampler": "ddim", "steps": 3, "batch_size": 2, "device": "cpu"}
LABELS = [["NORM"], ["IMI", "SR"], ["AFIB"]]


def test_a_compiled_network_samples_the_eager_networks_ecgs(tmp_path):
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    eager = SssdNleBackend(checkpoint, **DDIM)
    compiled = SssdNleBackend(checkpoint, compile=True, **DDIM)
    expected = eager.generate(LABELS, seed=5)
    np.testing.assert_allclose(compiled.generate(LABELS, seed=5), expected, rtol=1e-4, atol=1e-5)
    # weight norm folded into plain weights, every residual block compiled
    model = compiled.loaded.model
    assert not any("parametrizations" in name for name in model.state_dict())
    assert all(b._compiled_call_impl is not None for b in model.residual_layer.residual_blocks)
    assert compiled.provenance()["compiled"] and not eager.provenance()["compiled"]


def test_sample_pool_passes_compile_to_the_checkpoint_backend(tmp_path):
    flags = {"sampler": "ddpm", "steps": None, "batch": 4, "kernel_mode": None, "device": None,
             "ema": False, "compile": True}  # fmt: skip
    checkpoint = tiny_checkpoint(tmp_path / "c.pt")
    _, chosen = backend_choice({**flags, "checkpoint": checkpoint, "backend": None})
    assert chosen["compile"] is True
    with pytest.raises(CommandError, match="--compile applies to an SSSD-ECG"):
        backend_choice({**flags, "checkpoint": None, "backend": "deepfake-ecg"})


@pytest.mark.parametrize("compile", [False, True])
def test_either_way_of_the_pointwise_products_samples_the_same_ecgs(tmp_path, monkeypatch, compile):
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    monkeypatch.setattr(pointwise, "convolution_is_faster", lambda *shape, **key: False)
    expected = SssdNleBackend(checkpoint, compile=compile, **DDIM).generate(LABELS, seed=5)
    backend = SssdNleBackend(checkpoint, compile=compile, **DDIM)
    chosen = []

    def convolution(*shape, **key):
        chosen.append(shape)
        return True

    monkeypatch.setattr(pointwise, "convolution_is_faster", convolution)
    convolved = backend.generate(LABELS, seed=5)
    np.testing.assert_allclose(convolved, expected, rtol=1e-4, atol=1e-5)
    modules = [m for m in backend.loaded.model.modules() if isinstance(m, PointwiseConv1d)]
    assert len(chosen) == len(modules) and all(shape[2] == 1000 for shape in chosen)
    assert not any(m.use_convolution for m in modules)  # reset after sampling
