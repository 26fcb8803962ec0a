"""Backend registry and the SSSD-ECG(-nle) backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generator.backends.base import BackendError, GeneratorBackend, available_backends, get_backend
from generator.core.checkpoint import save_checkpoint
from generator.core.config import DiffusionConfig, GeneratorConfig
from generator.core.network import SSSDECG


@pytest.fixture
def checkpoint(tmp_path):
    config = GeneratorConfig(GeneratorConfig.tiny(signal_length=32).model, DiffusionConfig(T=10))
    torch.manual_seed(0)
    model = SSSDECG(config.model)
    with torch.no_grad():
        model.final_conv[2].conv.weight.normal_(0, 0.05)
    path = tmp_path / "tiny.pt"
    return path, save_checkpoint(path, model, config, step=3)


def test_registry_lists_both_backends():
    assert available_backends() == {
        "sssd-nle": "generator.backends.sssd_nle",
        "deepfake-ecg": "generator.backends.deepfake",
    }
    with pytest.raises(BackendError, match="unknown generator backend"):
        get_backend("wavegan")


def test_sssd_backend_generates_and_records_provenance(checkpoint):
    path, sha = checkpoint
    backend = get_backend("sssd-nle", checkpoint=path, sampler="ddim", steps=4, device="cpu")
    assert isinstance(backend, GeneratorBackend)
    labels = [["NORM", "SR"], ["AFIB"], ["LVH"]]
    ecgs = backend.generate(labels, seed=21)
    assert ecgs.shape == (3, 12, 32) and ecgs.dtype == np.float32
    tail = backend.generate(labels[1:], seed=21, start_index=1)
    np.testing.assert_allclose(tail, ecgs[1:], rtol=1e-4, atol=1e-5)
    provenance = backend.provenance()
    assert provenance["checkpoint_sha256"] == sha
    assert provenance["sampler"] == "ddim" and provenance["steps"] == 4
    assert provenance["label_variant"] == "nle" and backend.sampling_rate == 100
    with pytest.raises(ValueError, match="checkpoint"):
        get_backend("sssd-nle")
