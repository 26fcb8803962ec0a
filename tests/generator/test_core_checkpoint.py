"""Checkpoints: native round trip, SHA-256, and the SSSD-ECG release format."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest
import torch

from generator.core.checkpoint import (
    CheckpointError,
    checkpoint_sha256,
    load_checkpoint,
    save_checkpoint,
)
from generator.core.config import DiffusionConfig, GeneratorConfig
from generator.core.network import SSSDECG
from generator.core.release_format import native_to_release
from generator.core.sampling import generate
from generator.core.scp import SCP_VOCABULARY


def _randomised(config: GeneratorConfig) -> SSSDECG:
    torch.manual_seed(0)
    model = SSSDECG(config.model)
    with torch.no_grad():
        model.final_conv[2].conv.weight.normal_(0, 0.05)
    return model


def test_save_load_sample_round_trip(tmp_path):
    config = GeneratorConfig(GeneratorConfig.tiny(signal_length=48).model, DiffusionConfig(T=8))
    model = _randomised(config)
    optimizer = torch.optim.Adam(model.parameters())
    path = tmp_path / "model.pt"
    sha = save_checkpoint(path, model, config, optimizer=optimizer, step=17, data_fingerprint="ab")
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest() == checkpoint_sha256(path)
    loaded = load_checkpoint(path)
    assert loaded.config == config and loaded.step == 17 and loaded.data_fingerprint == "ab"
    assert loaded.label_vocabulary == SCP_VOCABULARY and loaded.sha256 == sha
    labels = [["NORM", "SR"], ["CLBBB"]]
    before = generate(model, config, labels, seed=4)
    after = generate(loaded.model, loaded.config, labels, seed=4)
    assert np.array_equal(before, after)


def test_release_format_loads_into_same_network(tmp_path):
    base = GeneratorConfig.tiny(label_variant="sssd", lead_set="sssd", signal_length=40)
    config = GeneratorConfig(
        base.with_model(s4=base.model.s4.__class__(d_state=8, lmax=40, train_ssm=False)).model,
        DiffusionConfig(),
    )
    model = _randomised(config)
    release_state = native_to_release(model.state_dict(), 40)
    assert "embedding.weight" in release_state
    assert "residual_layer.residual_blocks.1.S42.s4_layer.kernel.kernel.log_dt" in release_state
    assert "init_conv.0.conv.weight_g" in release_state
    assert release_state[
        "residual_layer.residual_blocks.0.S41.s4_layer.output_linear.bias"
    ].shape == (64, 1)
    path = tmp_path / "100000.pkl"
    torch.save({"model_state_dict": release_state, "optimizer_state_dict": {}}, path)
    loaded = load_checkpoint(path)
    assert loaded.source == "sssd-ecg-release"
    assert loaded.config == config
    x, labels, steps = torch.randn(2, 8, 40), torch.zeros(2, 71), torch.tensor([3, 150])
    labels[0, 5] = 1
    with torch.no_grad():
        assert torch.equal(loaded.model(x, labels, steps), model(x, labels, steps))


def test_unreadable_checkpoints_raise(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(junk)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(CheckpointError, match="format"):
        load_checkpoint(other)


@pytest.mark.parametrize("train_ssm", [False, True])
def test_loading_assigns_the_stored_tensors_without_initialising_first(tmp_path, train_ssm):
    config = GeneratorConfig.tiny(signal_length=48, train_ssm=train_ssm, freeze_present_state=True)
    model = _randomised(config)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, config)
    torch.manual_seed(11)
    expected_draw = torch.rand(3)
    torch.manual_seed(11)
    loaded = load_checkpoint(path).model
    assert torch.equal(torch.rand(3), expected_draw)  # no random initialisation ran
    fresh = dict(model.named_parameters())
    assert {n: p.requires_grad for n, p in loaded.named_parameters()} == {
        n: p.requires_grad for n, p in fresh.items()
    }
    assert sorted(n for n, _ in loaded.named_buffers()) == sorted(
        n for n, _ in model.named_buffers()
    )
    for name, value in loaded.state_dict().items():
        assert value.device.type == "cpu" and torch.equal(value, model.state_dict()[name])
    x, labels, steps = torch.randn(2, 8, 48), torch.zeros(2, 71), torch.tensor([1, 90])
    with torch.no_grad():
        assert torch.equal(loaded(x, labels, steps), model(x, labels, steps))
    optimizer = torch.optim.Adam(loaded.parameters(), 1e-3)  # it trains on from here
    loaded(x, labels, steps).square().mean().backward()
    optimizer.step()
    assert not torch.equal(
        loaded.state_dict()["init_conv.0.conv.bias"], model.init_conv[0].conv.bias
    )


def test_stored_tensors_take_the_models_dtypes(tmp_path):
    config = GeneratorConfig.tiny(signal_length=48)
    model = _randomised(config)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, config)
    payload = torch.load(path, weights_only=True)
    payload["model_state"] = {n: v.double() for n, v in payload["model_state"].items()}
    torch.save(payload, path)
    loaded = load_checkpoint(path).model
    assert {v.dtype for v in loaded.state_dict().values()} == {torch.float32}


@pytest.mark.parametrize("change", ["missing", "extra", "shape"])
def test_a_state_that_does_not_fit_is_a_checkpoint_error(tmp_path, change):
    config = GeneratorConfig.tiny(signal_length=48)
    model = _randomised(config)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, config)
    payload = torch.load(path, weights_only=True)
    state = payload["model_state"]
    if change == "missing":
        del state["final_conv.2.conv.weight"]
    elif change == "extra":
        state["final_conv.9.weight"] = torch.zeros(1)
    else:
        state["final_conv.2.conv.bias"] = torch.zeros(3)
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="does not fit its configuration"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("non-tensor", "not a map of named tensors"),
        ("number-key", "not a map of named tensors"),
        ("no-step", "lacks step"),
        ("bad-step", "is not a count of steps"),
        ("bad-config", "not a generator configuration"),
        ("bad-average", "moving average is not a map"),
    ],
)
def test_a_malformed_checkpoint_is_a_checkpoint_error_naming_the_problem(tmp_path, change, message):
    config = GeneratorConfig.tiny(signal_length=48)
    path = tmp_path / "model.pt"
    save_checkpoint(path, SSSDECG(config.model), config)
    payload = torch.load(path, weights_only=True)
    if change == "non-tensor":
        payload["model_state"]["init_conv.0.conv.bias"] = [0.0]
    elif change == "number-key":
        payload["model_state"][7] = torch.zeros(1)
    elif change == "no-step":
        del payload["step"]
    elif change == "bad-step":
        payload["step"] = "many"
    elif change == "bad-config":
        payload["config"] = {"model": {}}
    else:
        payload["ema"] = [1, 2]
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_a_checkpoint_replaced_while_it_loads_is_an_error(tmp_path, monkeypatch):
    from generator.core import checkpoint

    config = GeneratorConfig.tiny(signal_length=48)
    path = tmp_path / "model.pt"
    save_checkpoint(path, SSSDECG(config.model), config)
    other = tmp_path / "other.pt"
    save_checkpoint(other, _randomised(config), config, step=3)
    load = checkpoint._load

    def replaced_meanwhile(*args):
        loaded = load(*args)
        os.replace(other, path)  # e.g. training writing its next checkpoint
        return loaded

    monkeypatch.setattr(checkpoint, "_load", replaced_meanwhile)
    with pytest.raises(CheckpointError, match="changed while it was loaded"):
        load_checkpoint(path)
    monkeypatch.setattr(checkpoint, "_load", load)
    assert load_checkpoint(path).step == 3


def test_a_checkpoint_removed_while_it_loads_is_an_error(tmp_path, monkeypatch):
    from generator.core import checkpoint

    config = GeneratorConfig.tiny(signal_length=48)
    path = tmp_path / "model.pt"
    save_checkpoint(path, SSSDECG(config.model), config)
    load = checkpoint._load

    def removed_meanwhile(*args):
        loaded = load(*args)
        path.unlink()
        return loaded

    monkeypatch.setattr(checkpoint, "_load", removed_meanwhile)
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(path)
