"""Training: the loss falls on the 22 real Turing-test ECGs; resuming continues the count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from generator.core.checkpoint import load_checkpoint
from generator.core.config import GeneratorConfig
from generator.core.labels import encode_label_sets
from generator.core.leads import from_order
from generator.core.scp import split_label_key
from generator.core.train import main as train_cli
from generator.core.training import EcgDataset, TrainingOptions, build_optimizer, train


@pytest.fixture
def turing22(shared_data) -> EcgDataset:
    folder = shared_data / "sssd_ecg_turing22"
    real = np.load(folder / "real.npy")
    signals = np.stack([from_order(ecg, "sssd") for ecg in real])
    trials = pd.read_csv(folder / "trials.csv").sort_values("array_index")
    label_sets = [split_label_key(key) for key in trials["scp_codes"]]
    vocabulary = GeneratorConfig.tiny().model.label_vocabulary
    return EcgDataset(signals, encode_label_sets(label_sets, vocabulary))


def test_tiny_model_learns_on_real_ecgs(turing22):
    seen = []
    result = train(
        turing22,
        config=GeneratorConfig.tiny(),
        options=TrainingOptions(steps=160, batch_size=8, lr=2e-3, progress_bar=False),
        progress=seen.append,
    )
    first, last = np.mean(result.losses[:20]), np.mean(result.losses[-20:])
    assert first > 0.8  # the zero-initialised output predicts no noise: loss ~ E[z^2] = 1
    assert last < 0.5 * first
    assert [p.step for p in seen] == list(range(1, 161))


def test_resume_continues_step_count(tmp_path, turing22):
    config = GeneratorConfig.tiny(signal_length=1000)
    options = TrainingOptions(
        steps=4, batch_size=2, checkpoint_every=2, out_dir=tmp_path, progress_bar=False
    )
    straight = train(turing22, config=config, options=options, validation_set=turing22)
    assert [p.name for p in straight.checkpoints] == [
        "checkpoint_00000002.pt",
        "checkpoint_00000004.pt",
    ]
    assert sorted(straight.validation_losses) == [2, 4]
    resumed = train(
        turing22,
        options=TrainingOptions(steps=4, batch_size=2, out_dir=tmp_path / "r", progress_bar=False),
        resume=straight.checkpoints[0],
    )
    assert resumed.step == 4 and len(resumed.losses) == 2
    np.testing.assert_allclose(resumed.losses, straight.losses[2:], rtol=1e-5)
    final = load_checkpoint(resumed.checkpoints[-1])
    assert final.step == 4 and final.data_fingerprint == turing22.fingerprint()


def test_ssm_parameters_get_their_own_group():
    from generator.core.network import SSSDECG

    model = SSSDECG(GeneratorConfig.tiny().model)
    optimizer = build_optimizer(model, lr=2e-4)
    main, ssm = optimizer.param_groups
    assert main["lr"] == 2e-4 and ssm["lr"] == 2e-4 and ssm["weight_decay"] == 0.0
    assert len(ssm["params"]) == 2 * 2 * 5  # 2 blocks x 2 S4 layers x (dt, w, B, P, Q)
    assert build_optimizer(model, lr=5e-3).param_groups[1]["lr"] == 1e-3


def test_dataset_validation():
    with pytest.raises(ValueError, match=r"\(N, 12, L\)"):
        EcgDataset(np.zeros((2, 8, 10)), np.zeros((2, 71)))
    with pytest.raises(ValueError, match="NaN"):
        EcgDataset(np.full((1, 12, 10), np.nan), np.zeros((1, 71)))


def test_cli_trains_on_a_ptbxl_directory(tmp_path, mini_ptbxl):
    torch.manual_seed(0)
    status = train_cli(
        [
            "--ptbxl", str(mini_ptbxl), "--out", str(tmp_path / "run"), "--steps", "2",
            "--batch-size", "2", "--checkpoint-every", "1", "--tiny", "--device", "cpu",
        ]
    )  # fmt: skip
    assert status == 0
    loaded = load_checkpoint(tmp_path / "run" / "checkpoint_00000002.pt")
    assert loaded.step == 2 and loaded.config == GeneratorConfig.tiny()
