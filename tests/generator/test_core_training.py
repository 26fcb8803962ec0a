"""Training: the loss falls on the 22 real Turing-test ECGs; resuming continues the count."""

from __future__ import annotations

import io
import re

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
from generator.core.train import parse_args, training_config, training_options
from generator.core.training import (
    EcgDataset,
    ProgressDisplay,
    TrainingOptions,
    TrainingProgress,
    build_optimizer,
    epoch_batch,
    progress_line,
    train,
)


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

    assert len(build_optimizer(SSSDECG(GeneratorConfig.tiny().model), 2e-4).param_groups) == 1
    model = SSSDECG(GeneratorConfig.tiny(train_ssm=True).model)
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
    # the checkpoint names the real ECGs it learned from (evaluations check it)
    assert loaded.training_data == {
        "dataset": "PTB-XL", "folds": [1, 2, 3, 4, 5, 6, 7, 8], "rate": 100, "limit": None
    }  # fmt: skip


@pytest.mark.parametrize(("size", "batch"), [(10, 5), (7, 3)])
def test_batches_draw_every_example_once_per_epoch(size, batch):
    drawn = np.concatenate([epoch_batch(step, batch, size, seed=3) for step in range(1, 15)])
    for epoch in range(len(drawn) // size):
        assert sorted(drawn[epoch * size : (epoch + 1) * size]) == list(range(size))
    assert not np.array_equal(drawn[:size], drawn[size : 2 * size])  # reshuffled per epoch
    np.testing.assert_array_equal(epoch_batch(4, batch, size, 3), drawn[3 * batch : 4 * batch])


def test_paper_faithful_defaults_and_opt_ins():
    base = ["--ptbxl", "p", "--out", "o"]
    default = parse_args(base)
    assert training_options(default).mixed_precision
    assert training_config(default) == GeneratorConfig.paper()
    assert not GeneratorConfig.paper().model.s4.train_ssm
    opted = parse_args([*base, "--tiny", "--fp32", "--train-ssm", "--freeze-present-state"])
    assert not training_options(opted).mixed_precision
    config = training_config(opted)
    assert config.model.s4.train_ssm and config.model.freeze_present_state


PROGRESS_LINE = re.compile(
    r"train step (\d+)/5 loss \d+\.\d{4}( val_loss \d+\.\d{4})? \d+\.\d\d steps/s ETA \d+:\d\d:\d\d"
)


def test_progress_off_a_terminal_is_plain_lines(capsys, turing22):
    options = TrainingOptions(steps=5, batch_size=2, log_every=2)  # stderr is captured: no tty
    train(turing22, config=GeneratorConfig.tiny(), options=options, validation_set=turing22)
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.strip().splitlines()
    matches = [PROGRESS_LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    assert [int(m.group(1)) for m in matches] == [1, 2, 4, 5]  # first, every 2nd, last
    assert matches[-1].group(2) and not matches[0].group(2)  # validated at the last step
    assert lines[-1].endswith("ETA 0:00:00")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_a_bar_and_lines_say_step_loss_speed_and_eta():
    screen = Terminal()
    shown = ProgressDisplay(1000, 199, stream=screen)
    shown.update(TrainingProgress(200, 1000, 0.12344, 2.5), validation_loss=0.13)
    shown.close()
    assert "\r" in screen.getvalue() and "train step" not in screen.getvalue()
    assert "loss=0.1234" in screen.getvalue() and "val_loss=0.1300" in screen.getvalue()
    assert progress_line(TrainingProgress(200, 1000, 0.12344, 2.5), 0.13) == (
        "train step 200/1000 loss 0.1234 val_loss 0.1300 2.50 steps/s ETA 0:05:20"
    )
    assert progress_line(TrainingProgress(1, 100_001, 0.5, 0.25)) == (
        "train step 1/100001 loss 0.5000 0.25 steps/s ETA 111:06:40"
    )
    assert ProgressDisplay(100_000, stream=io.StringIO()).every == 100
    assert ProgressDisplay(50, stream=io.StringIO()).every == 1
    log = io.StringIO()
    ProgressDisplay(10, stream=log, enabled=False).update(TrainingProgress(1, 10, 0.5, 1.0))
    assert log.getvalue() == ""


def test_log_every_comes_from_the_command_line():
    base = ["--ptbxl", "p", "--out", "o", "--device", "cpu"]
    assert training_options(parse_args(base)).log_every == 0
    assert training_options(parse_args([*base, "--log-every", "50"])).log_every == 50
    with pytest.raises(ValueError, match="log_every"):
        train(None, options=TrainingOptions(steps=1, log_every=-1))
