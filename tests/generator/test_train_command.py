"""manage.py train_generator wraps the pure training entry point."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from generator.core.checkpoint import load_checkpoint


def run(*args) -> str:
    out = io.StringIO()
    call_command("train_generator", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_trains_saves_and_resumes(tmp_path, mini_ptbxl):
    out = tmp_path / "ckpt"
    common = ["--ptbxl", mini_ptbxl, "--out", out, "--tiny", "--batch-size", "2", "--device", "cpu"]
    first = run(*common, "--steps", "2", "--checkpoint-every", "2")
    assert "trained to step 2" in first and "validation loss" in first
    checkpoints = sorted(out.glob("*.pt"))
    loaded = load_checkpoint(checkpoints[-1])
    assert loaded.step == 2 and loaded.validation_loss > 0
    assert f"validation loss {loaded.validation_loss:.4f} (step 2)" in first
    resumed = run(*common, "--steps", "4", "--checkpoint-every", "2", "--resume", checkpoints[-1])
    assert "trained to step 4" in resumed
    assert max(load_checkpoint(p).step for p in out.glob("*.pt")) == 4


def test_missing_ptbxl_directory_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="ptbxl_database.csv: missing PTB-XL table"):
        run("--ptbxl", tmp_path, "--out", tmp_path / "o", "--tiny", "--steps", "1")


def test_passes_the_paper_fidelity_flags(tmp_path, mini_ptbxl):
    out = tmp_path / "ckpt"
    run("--ptbxl", mini_ptbxl, "--out", out, "--tiny", "--batch-size", "2", "--device", "cpu",
        "--steps", "1", "--train-ssm", "--freeze-present-state", "--fp32",
        "--kernel-mode", "release_fallback")  # fmt: skip
    config = load_checkpoint(next(out.glob("*.pt"))).config
    assert config.model.s4.train_ssm and config.model.freeze_present_state
    assert config.model.s4.kernel_mode == "release_fallback"


def test_an_unavailable_device_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="device 'cuda:99' is not available"):
        run("--ptbxl", tmp_path, "--out", tmp_path / "o", "--tiny", "--device", "cuda:99")
