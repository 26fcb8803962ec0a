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
from tests.generator.operators import batched_products, operators_run

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


@pytest.mark.parametrize("compiled", [False, True])
def test_either_way_of_the_pointwise_products_samples_the_same_ecgs(
    tmp_path, monkeypatch, compiled
):
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    backend = SssdNleBackend(checkpoint, compile=compiled, **DDIM)
    samples, products = {}, {}
    for way in ("product", "convolution"):
        monkeypatch.setenv(pointwise.WAY_VARIABLE, way)
        samples[way], counts = operators_run(lambda: backend.generate(LABELS, seed=5))
        products[way] = batched_products(counts)
        assert set(backend.provenance()["pointwise"].values()) == {way}
    np.testing.assert_allclose(samples["convolution"], samples["product"], rtol=1e-4, atol=1e-5)
    assert products["product"] > 0 and products["convolution"] == 0
    modules = [m for m in backend.loaded.model.modules() if isinstance(m, PointwiseConv1d)]
    assert not any(m.use_convolution for m in modules)  # restored after sampling
