"""The optional moving average of the weights: update rule, checkpoints, sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from generator.backends.sssd_nle import SssdNleBackend
from generator.core.checkpoint import CheckpointError, load_checkpoint
from generator.core.config import GeneratorConfig
from generator.core.ema import WeightAverage
from generator.core.network import SSSDECG
from generator.core.training import EcgDataset, TrainingOptions, train
from generator.management.commands.sample_pool import backend_choice
from tests.generator.checkpoints import tiny_checkpoint

CONFIG = GeneratorConfig.tiny(signal_length=64)


def dataset() -> EcgDataset:
    rng = np.random.default_rng(1)
    labels = rng.random((4, len(CONFIG.model.label_vocabulary))) < 0.1
    return EcgDataset(rng.normal(size=(4, 12, 64)), labels)


def options(out, steps: int, ema: float | None = 0.5) -> TrainingOptions:
    return TrainingOptions(
        steps=steps, batch_size=2, lr=1e-2, checkpoint_every=1, out_dir=out, device="cpu",
        progress_bar=False, ema=ema,
    )  # fmt: skip


def test_update_averages_trained_weights_and_copies_the_rest():
    model = nn.Linear(2, 1)
    model.register_buffer("scale", torch.tensor([1.0]))
    model.bias.requires_grad_(False)
    average = WeightAverage(model, decay=0.9)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, -2.0]]))
        model.bias.fill_(3.0)
        model.scale.fill_(5.0)
    before = average.state_dict()["weight"].clone()
    average.update(model)
    state = average.state_dict()
    torch.testing.assert_close(state["weight"], 0.9 * before + 0.1 * torch.tensor([[1.0, -2.0]]))
    assert float(state["bias"]) == 3.0 and float(state["scale"]) == 5.0
    with pytest.raises(ValueError, match=r"decay must lie in \(0, 1\)"):
        WeightAverage(model, decay=1.0)


def test_training_keeps_the_average_in_checkpoints_and_resumes_it(tmp_path):
    straight = train(dataset(), config=CONFIG, options=options(tmp_path / "a", steps=3))
    torch.manual_seed(0)
    expected = SSSDECG(CONFIG.model).state_dict()  # the seeded initial weights
    for path in straight.checkpoints:
        weights = load_checkpoint(path).model.state_dict()
        expected = {name: 0.5 * expected[name] + 0.5 * weights[name] for name in expected}
    final = load_checkpoint(straight.checkpoints[-1], ema=True)
    assert final.weights == "ema" and final.ema["decay"] == 0.5
    for name, value in final.model.state_dict().items():
        torch.testing.assert_close(value, expected[name])
    trained = straight.model.state_dict()
    assert any(not torch.equal(value, trained[name]) for name, value in expected.items())
    resumed = train(dataset(), options=options(tmp_path / "b", 3), resume=straight.checkpoints[0])
    again = load_checkpoint(resumed.checkpoints[-1], ema=True).model.state_dict()
    for name, value in again.items():
        torch.testing.assert_close(value, expected[name])


def test_no_average_by_default_and_asking_for_one_is_an_error(tmp_path):
    run = train(dataset(), config=CONFIG, options=options(tmp_path, steps=1, ema=None))
    assert load_checkpoint(run.checkpoints[0]).ema is None
    with pytest.raises(CheckpointError, match="holds no moving average"):
        load_checkpoint(run.checkpoints[0], ema=True)


def test_sampling_uses_the_average_when_asked(tmp_path):
    run = train(dataset(), config=CONFIG, options=options(tmp_path, steps=2))
    path = run.checkpoints[-1]
    averaged = SssdNleBackend(path, ema=True, sampler="ddim", steps=2, device="cpu")
    plain = SssdNleBackend(path, sampler="ddim", steps=2, device="cpu")
    stored = load_checkpoint(path).ema["state"]
    for name, value in averaged.loaded.model.state_dict().items():
        torch.testing.assert_close(value, stored[name])
    assert averaged.provenance()["weights"] == "ema" and plain.provenance()["weights"] == "trained"
    labels = [["NORM"]]
    assert not np.allclose(averaged.generate(labels, seed=0), plain.generate(labels, seed=0))


def test_sample_pool_passes_ema_to_the_checkpoint_backend(tmp_path):
    from django.core.management import CommandError

    flags = {"sampler": "ddpm", "steps": None, "batch": 4, "kernel_mode": None, "device": None}
    checkpoint = tiny_checkpoint(tmp_path / "c.pt")
    _, chosen = backend_choice({**flags, "checkpoint": checkpoint, "backend": None, "ema": True})
    assert chosen["ema"] is True
    with pytest.raises(CommandError, match="--ema applies to an SSSD-ECG"):
        backend_choice({**flags, "checkpoint": None, "backend": "deepfake-ecg", "ema": True})


def test_the_average_is_off_unless_asked_on_the_command_line():
    from generator.core.train import parse_args, training_options

    base = ["--ptbxl", "p", "--out", "o", "--device", "cpu"]
    assert training_options(parse_args(base)).ema is None
    assert training_options(parse_args([*base, "--ema", "0.999"])).ema == 0.999
