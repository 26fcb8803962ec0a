"""Both S4 kernel modes against a dense float64 reference; the mode in checkpoints."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from django.core.management import CommandError, call_command

from generator.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from generator.core.config import GeneratorConfig, S4Config
from generator.core.diffusion import NoiseSchedule, training_loss
from generator.core.kernel_mode import (
    kernel_mode_errors,
    kernel_mode_verdict,
    noise_prediction_errors,
)
from generator.core.labels import encode_label_sets
from generator.core.leads import generated_from_twelve
from generator.core.network import SSSDECG
from generator.core.s4 import S4
from generator.core.train import parse_args, training_config
from generator.records.ptbxl import iter_ptbxl
from tests.generator.checkpoints import synthetic_ecgs, tiny_checkpoint, trained_checkpoint

LENGTH = 16


def c(x: torch.Tensor) -> np.ndarray:
    """A stored (..., 2) real/imag tensor as complex128."""
    return torch.view_as_complex(x.detach().contiguous()).numpy().astype(np.complex128)


def reference_kernel(kernel, mode: str, length: int) -> np.ndarray:
    """(channels, H, L) kernel from dense per-feature matrices and an explicit inverse DFT.

    State matrix A = diag(w) - P Q^T over the stored half of the states (release_fallback)
    or over both states of every conjugate pair (exact); bilinear discretisation; transfer
    function C~^T (I - dA z)^-1 dB at z = exp(-2 pi i k / L), k = 0..L/2; then the inverse
    DFT of a real signal from that half spectrum (imaginary DC and Nyquist parts dropped).
    """
    w, b, p, q, cc = (c(getattr(kernel, n)) for n in ("w", "B", "P", "Q", "C"))
    dt = np.exp(kernel.log_dt.detach().numpy().astype(np.float64))
    channels, features = cc.shape[0], cc.shape[1]
    out = np.zeros((channels, features, length))
    for h in range(features):
        parts = [(w[h], b[0, h], p[0, h], q[0, h], cc[:, h])]
        if mode == "exact":
            parts.append(tuple(x.conj() for x in parts[0]))
        wh, bh, ph, qh, ch = (np.concatenate(x, axis=-1) for x in zip(*parts, strict=True))
        a = np.diag(wh) - np.outer(ph, qh)
        eye = np.eye(len(wh))
        back = np.linalg.inv(eye - dt[h] / 2 * a)
        da, db = back @ (eye + dt[h] / 2 * a), dt[h] * back @ bh
        for k in range(length // 2 + 1):
            z = np.exp(-2j * math.pi * k / length)
            spectrum = ch @ np.linalg.solve(eye - z * da, db)  # (channels,)
            weight = 1 if k in (0, length // 2) else 2
            for t in range(length):
                out[:, h, t] += weight * np.real(spectrum * np.exp(2j * math.pi * k * t / length))
    return out / length


def reference_layer(layer: S4, u: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Causal plus anti-causal convolution, D skip, GELU and the 1x1 mixing, written out."""
    batch, features, length = u.shape
    y = np.zeros_like(u)
    for t in range(length):
        for j in range(length):
            tap = kernel[0, :, t - j] if j <= t else kernel[1, :, j - t - 1]
            y[:, :, t] += tap * u[:, :, j]
    y += layer.D.detach().numpy()[0, :, None] * u
    y = 0.5 * y * (1 + np.vectorize(math.erf)(y / math.sqrt(2)))
    weight = layer.output_linear.weight.detach().numpy()[:, :, 0].astype(np.float64)
    bias = layer.output_linear.bias.detach().numpy().astype(np.float64)
    return np.einsum("oi,bil->bol", weight, y) + bias[None, :, None]


@pytest.mark.parametrize("mode", ["exact", "release_fallback"])
def test_kernel_and_layer_match_the_dense_reference(mode):
    torch.manual_seed(3)
    layer = S4(3, S4Config(d_state=8, lmax=LENGTH, kernel_mode=mode))
    kernel = layer.kernel(LENGTH).detach().numpy()
    expected = reference_kernel(layer.kernel, mode, LENGTH)
    assert np.abs(kernel - expected).max() <= 1e-4
    u = np.random.default_rng(0).normal(size=(2, 3, LENGTH))
    output = layer(torch.from_numpy(u).float()).detach().numpy()
    assert np.abs(output - reference_layer(layer, u, expected)).max() <= 1e-4


def test_exact_kernel_is_the_time_domain_kernel_and_the_modes_differ():
    torch.manual_seed(4)
    layer = S4(2, S4Config(d_state=8, lmax=LENGTH))
    kernel = layer.kernel
    exact = reference_kernel(kernel, "exact", LENGTH)
    # exact: C dA^l dB of the real system, with C = C~ (I - dA^L)^-1 undone explicitly
    w, b, p, q, cc = (c(getattr(kernel, n)) for n in ("w", "B", "P", "Q", "C"))
    dt = np.exp(kernel.log_dt.detach().numpy().astype(np.float64))
    for h in range(2):
        both = [np.concatenate([x, x.conj()]) for x in (w[h], b[0, h], p[0, h], q[0, h])]
        a = np.diag(both[0]) - np.outer(both[2], both[3])
        eye = np.eye(len(a))
        back = np.linalg.inv(eye - dt[h] / 2 * a)
        da, db = back @ (eye + dt[h] / 2 * a), dt[h] * back @ both[1]
        c_tilde = np.concatenate([cc[:, h], cc[:, h].conj()], axis=-1)
        c_orig = np.linalg.solve((eye - np.linalg.matrix_power(da, LENGTH)).T, c_tilde.T).T
        taps = [np.real(c_orig @ np.linalg.matrix_power(da, t) @ db) for t in range(LENGTH)]
        np.testing.assert_allclose(np.stack(taps, -1), exact[:, h], atol=1e-4)
    fallback = reference_kernel(kernel, "release_fallback", LENGTH)
    assert np.abs(exact - fallback).max() > 1e-2


def test_checkpoint_keeps_the_mode_and_loads_old_ones_as_exact(tmp_path):
    config = GeneratorConfig.tiny(signal_length=32, kernel_mode="release_fallback")
    path = tmp_path / "fallback.pt"
    save_checkpoint(path, SSSDECG(config.model), config)
    loaded = load_checkpoint(path)
    assert loaded.config.model.s4.kernel_mode == "release_fallback"
    assert {s4.kernel.kernel_mode for s4 in loaded.model.s4_modules()} == {"release_fallback"}
    overridden = load_checkpoint(path, kernel_mode="exact")
    assert {s4.kernel.kernel_mode for s4 in overridden.model.s4_modules()} == {"exact"}
    with pytest.raises(CheckpointError, match="kernel_mode"):
        load_checkpoint(path, kernel_mode="fast")
    payload = torch.load(path, weights_only=True)
    del payload["config"]["model"]["s4"]["kernel_mode"]  # written before the mode existed
    torch.save(payload, tmp_path / "old.pt")
    assert load_checkpoint(tmp_path / "old.pt").config.model.s4.kernel_mode == "exact"


def test_training_takes_the_mode_from_its_flag():
    base = ["--ptbxl", "x", "--out", "y", "--tiny"]
    assert training_config(parse_args(base)).model.s4.kernel_mode == "exact"
    chosen = training_config(parse_args([*base, "--kernel-mode", "release_fallback"]))
    assert chosen.model.s4.kernel_mode == "release_fallback"


@pytest.mark.django_db
def test_sample_pool_records_the_kernel_mode(tmp_path):
    from generator.models import ECG

    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    call_command("sample_pool", "--checkpoint", str(checkpoint), "--n", "1", "--labels", "NORM",
                 "--sampler", "ddim", "--steps", "2", "--kernel-mode", "release_fallback",
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    call_command("sample_pool", "--checkpoint", str(checkpoint), "--n", "1", "--labels", "NORM",
                 "--sampler", "ddim", "--steps", "2", stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    modes = [e.sampler_settings["kernel_mode"] for e in ECG.objects.order_by("pk")]
    assert modes == ["release_fallback", "exact"]
    with pytest.raises(CommandError, match="--kernel-mode"):
        call_command("sample_pool", "--backend", "deepfake-ecg", "--n", "1",
                     "--kernel-mode", "exact")  # fmt: skip


@pytest.mark.parametrize("mode", ["exact", "release_fallback"])
def test_detect_kernel_mode_picks_the_training_mode(tmp_path, mode):
    checkpoint = trained_checkpoint(tmp_path / "trained.pt", mode, synthetic_ecgs(8, 64, 0))
    np.save(tmp_path / "held_out.npy", synthetic_ecgs(8, 64, 1))
    out = io.StringIO()
    call_command("detect_kernel_mode", "--checkpoint", str(checkpoint),
                 "--signals", str(tmp_path / "held_out.npy"), "--device", "cpu",
                 stdout=out)  # fmt: skip
    assert out.getvalue().strip().splitlines()[-1] == f"trained with kernel mode: {mode}"


def test_detect_kernel_mode_reads_labelled_ptbxl_folds(tmp_path, mini_ptbxl):
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")  # 1000 samples: a 100 Hz record
    out = io.StringIO()
    call_command("detect_kernel_mode", "--checkpoint", str(checkpoint), "--ptbxl",
                 str(mini_ptbxl), "--folds", "3,9", "--step", "50", "--device", "cpu",
                 stdout=out)  # fmt: skip
    *errors, difference, verdict = out.getvalue().strip().splitlines()
    printed = {line.split(":")[0]: float(line.split()[-1]) for line in errors}
    records = list(iter_ptbxl(mini_ptbxl, folds=[3, 9]))
    assert [record.ecg_id for record in records] == [1, 2]
    signals = np.stack([record.signal for record in records])
    label_sets = [list(record.scp_codes) for record in records]
    assert label_sets == [["NORM", "LVOLT", "SR"], ["IMI", "SR"]]
    expected = kernel_mode_verdict(
        kernel_mode_errors(checkpoint, signals, label_sets, step=50, seed=0)
    )
    assert printed == {mode: pytest.approx(mean, abs=1e-6) for mode, mean in expected.means.items()}
    assert difference.startswith(f"difference exact - release_fallback: {expected.difference:.6f}")
    assert verdict.startswith(f"trained with kernel mode: {expected.mode or 'undecided'}")
    unlabelled = kernel_mode_errors(checkpoint, signals, [[], []], step=50, seed=0)
    assert unlabelled["exact"].mean() != pytest.approx(expected.means["exact"], abs=1e-6)
    with pytest.raises(CommandError, match="no PTB-XL records of folds 5"):
        call_command("detect_kernel_mode", "--checkpoint", str(checkpoint), "--ptbxl",
                     str(mini_ptbxl), "--folds", "5", "--device", "cpu",
                     stdout=io.StringIO())  # fmt: skip


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt")


def test_per_ecg_errors_are_each_ecgs_training_loss(tiny):
    loaded = load_checkpoint(tiny)
    signals = synthetic_ecgs(5, 1000, 2)
    errors = noise_prediction_errors(loaded, signals, [["NORM"]] * 5, step=30, seed=4, batch_size=2)
    config = loaded.config
    x0 = torch.from_numpy(generated_from_twelve(signals, config.model.lead_set))
    labels = torch.from_numpy(encode_label_sets([["NORM"]] * 5, config.model.label_vocabulary))
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(4))
    schedule = NoiseSchedule.from_config(config.diffusion)
    with torch.no_grad():
        each = [float(training_loss(loaded.model, x0[i : i + 1], labels[i : i + 1].float(),
                                    schedule, draws=(torch.tensor([30]), noise[i : i + 1])))
                for i in range(5)]  # fmt: skip
    np.testing.assert_allclose(errors, each, rtol=1e-5)


def test_the_verdict_names_a_mode_only_beyond_two_paired_standard_errors():
    rng = np.random.default_rng(0)
    base = 1 + rng.normal(0, 0.1, 20)  # the ECGs' scatter, shared by both modes
    scatter = np.tile([1.0, -1.0], 10)  # alternating signs: how the paired differences scatter
    resolved = kernel_mode_verdict(
        {"exact": base, "release_fallback": base + 1e-5 + 1e-6 * scatter}
    )
    assert resolved.mode == "exact" and resolved.n_ecgs == 20
    assert resolved.difference == pytest.approx(-1e-5)
    assert resolved.standard_error == pytest.approx(np.std(1e-6 * scatter, ddof=1) / np.sqrt(20))
    assert resolved.means["exact"] == pytest.approx(base.mean())
    noisy = kernel_mode_verdict({"exact": base, "release_fallback": base + 1e-6 + 1e-5 * scatter})
    assert noisy.mode is None  # 1e-6 apart, standard error 2.3e-6: undecided
    flipped = kernel_mode_verdict({"exact": base + 1e-5, "release_fallback": base})
    assert flipped.mode == "release_fallback"
    one = kernel_mode_verdict({"exact": np.array([1.0]), "release_fallback": np.array([2.0])})
    assert one.mode is None and one.standard_error == math.inf  # one ECG cannot tell


def test_detect_kernel_mode_is_undecided_when_the_modes_predict_alike(tmp_path):
    config = GeneratorConfig.tiny(signal_length=64)
    save_checkpoint(tmp_path / "zero.pt", SSSDECG(config.model), config)  # zero output layer
    np.save(tmp_path / "held_out.npy", synthetic_ecgs(4, 64, 1))
    out = io.StringIO()
    call_command("detect_kernel_mode", "--checkpoint", str(tmp_path / "zero.pt"),
                 "--signals", str(tmp_path / "held_out.npy"), "--device", "cpu",
                 stdout=out)  # fmt: skip
    *errors, difference, verdict = out.getvalue().strip().splitlines()
    assert [line.split(":")[0] for line in errors] == ["exact", "release_fallback"]
    assert len({line.split()[-1] for line in errors}) == 1  # predicted noise 0 in both modes
    assert difference == (
        "difference exact - release_fallback: 0.000000 (standard error 0.000000 over 4 ECGs, "
        "paired)"
    )
    assert verdict.startswith("trained with kernel mode: undecided (the difference is within 2")


def detect(checkpoint, *args: str) -> str:
    out = io.StringIO()
    call_command("detect_kernel_mode", "--checkpoint", str(checkpoint), *args, "--device",
                 "cpu", stdout=out)  # fmt: skip
    return out.getvalue()


@pytest.mark.parametrize("lead", [0, 2])  # lead I, and lead III (not a generated lead)
def test_detect_kernel_mode_refuses_non_finite_signals_naming_the_ecg(tmp_path, tiny, lead):
    signals = synthetic_ecgs(3, 1000, 0)
    signals[1, lead, 500] = np.nan
    np.save(tmp_path / "held_out.npy", signals)
    with pytest.raises(CommandError, match=r"held_out.npy: NaN/inf samples in rows \[1\]"):
        detect(tiny, "--signals", str(tmp_path / "held_out.npy"))


def test_detect_kernel_mode_refuses_an_empty_file(tmp_path, tiny):
    np.save(tmp_path / "empty.npy", np.zeros((0, 12, 1000), dtype=np.float32))
    with pytest.raises(CommandError, match=r"no ECGs in .*empty.npy"):
        detect(tiny, "--signals", str(tmp_path / "empty.npy"))


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_detect_kernel_mode_refuses_a_limit_below_one(tiny, mini_ptbxl, limit):
    with pytest.raises(CommandError, match=f"--limit must be at least 1, got {limit}"):
        detect(tiny, "--ptbxl", str(mini_ptbxl), "--limit", limit)


def test_detect_kernel_mode_turns_an_unreadable_record_into_a_command_error(tiny, mini_ptbxl):
    dat = mini_ptbxl / "records100" / "00000" / "00002_lr.dat"
    dat.write_bytes(dat.read_bytes()[:1000])  # truncated
    with pytest.raises(CommandError, match=r"00002_lr.dat: truncated signal file"):
        detect(tiny, "--ptbxl", str(mini_ptbxl), "--folds", "9")
