"""python -m ecg_render.cli: .npy and WFDB input, harmonised or raw, every format, clear usage
errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ecg_render import RenderOptions, render_png, render_svg
from ecg_render.cli import main
from generator.core.harmonise import HarmonisationSpec, harmonise
from generator.core.leads import from_order
from generator.records.wfdb_reader import read_wfdb_12lead

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def batch(tmp_path) -> tuple[Path, np.ndarray]:
    """Three ECGs in SSSD lead order, each lead at its own level, saved as (3, 12, 1000)."""
    rng = np.random.default_rng(5)
    array = rng.normal(0, 0.2, (3, 12, 1000)) + np.arange(12)[None, :, None] * 0.1
    path = tmp_path / "batch.npy"
    np.save(path, array)
    return path, array


def run(argv, capsys):
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_npy_row_in_sssd_order_renders_harmonised_like_the_library(batch, tmp_path, capsys):
    path, array = batch
    out = tmp_path / "ecg.svg"
    code, stdout, _ = run([path, "--row", 2, "--fs", 100, "--order", "sssd", "-o", out], capsys)
    assert code == 0 and f"wrote {out}" in stdout
    standard = from_order(array[2], "sssd")
    assert out.read_text() == render_svg(harmonise(standard, 100, HarmonisationSpec()), 100)
    assert out.read_text() != render_svg(standard, 100)  # harmonised ...
    assert out.read_text() != render_svg(harmonise(array[2], 100, HarmonisationSpec()), 100)
    # ... after the SSSD order was undone


def test_no_harmonise_draws_the_raw_samples(batch, tmp_path, capsys):
    path, array = batch
    out = tmp_path / "ecg.svg"
    argv = [path, "--row", 2, "--fs", 100, "--order", "sssd", "--no-harmonise", "-o", out]
    assert run(argv, capsys)[0] == 0
    assert out.read_text() == render_svg(from_order(array[2], "sssd"), 100)


def test_wfdb_record_with_options_and_png_dpi(shared_data, tmp_path, capsys):
    record = shared_data / "ptbxl_sample" / "00001_lr.hea"
    out = tmp_path / "ecg.png"
    argv = [record, "--layout", "6x2", "--speed", 50, "--gain", 5, "--dpi", 100, "-o", out]
    assert run(argv, capsys)[0] == 0
    signal, fs = read_wfdb_12lead(record)
    options = RenderOptions(layout="6x2", speed_mm_s=50, gain_mm_mv=5)
    harmonised = harmonise(signal, fs, HarmonisationSpec(sampling_rate=fs))
    assert out.read_bytes() == render_png(harmonised, fs, options, dpi=100)
    raw = tmp_path / "raw.png"
    assert run([*argv[:-2], "--no-harmonise", "-o", raw], capsys)[0] == 0
    assert raw.read_bytes() == render_png(signal, fs, options, dpi=100)


def test_a_long_record_at_1000_hz_keeps_its_rate(shared_data, tmp_path, capsys):
    record = shared_data / "ptb_diagnostic" / "s0010_re.hea"
    out = tmp_path / "ecg.svg"
    assert run([record, "-o", out], capsys)[0] == 0
    signal, fs = read_wfdb_12lead(record)
    assert fs == 1000
    assert out.read_text() == render_svg(harmonise(signal, fs, HarmonisationSpec(1000.0)), fs)
    assert "1000 samples/s" in out.read_text()


def test_a_rate_outside_50_to_1000_hz_is_harmonised_to_500_hz(tmp_path, capsys):
    t = np.arange(20000) / 2000
    signal = np.tile(np.sin(2 * np.pi * 1.2 * t), (12, 1))
    path = tmp_path / "fast.npy"
    np.save(path, signal)
    out = tmp_path / "ecg.svg"
    assert run([path, "--fs", 2000, "-o", out], capsys)[0] == 0
    expected = harmonise(signal, 2000, HarmonisationSpec(sampling_rate=500.0))
    assert out.read_text() == render_svg(expected, 500)
    assert "500 samples/s" in out.read_text()
    raw = tmp_path / "raw.svg"
    assert run([path, "--fs", 2000, "--no-harmonise", "-o", raw], capsys)[0] == 0
    assert "2000 samples/s" in raw.read_text()


def test_chest_gain_and_no_clip_reach_the_renderer(batch, tmp_path, capsys):
    path, array = batch
    out = tmp_path / "ecg.svg"
    argv = [path, "--row", 1, "--fs", 100, "--no-harmonise", "--chest-gain", 5, "--no-clip"]
    assert run([*argv, "-o", out], capsys)[0] == 0
    options = RenderOptions(chest_gain_mm_mv=5, clip=False)
    assert out.read_text() == render_svg(array[1], 100, options)
    assert "limb 10 mm/mV, chest 5 mm/mV" in out.read_text()
    assert 'class="clip-marker"' not in out.read_text()


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF"), ("json", b'{"data"')])
def test_format_flag_overrides_the_suffix(batch, tmp_path, capsys, fmt, magic):
    path, _ = batch
    out = tmp_path / "ecg.out"
    assert run([path, "--row", 0, "--fs", 100, "--format", fmt, "-o", out], capsys)[0] == 0
    assert out.read_bytes().startswith(magic)
    if fmt == "json":
        # marks, 13 lead segments and the clip markers
        assert len(json.loads(out.read_text())["data"]) == 15


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fs", 100], "holds 3 ECGs; choose one with --row"),
        (["--fs", 100, "--row", 3], "--row 3 is out of range for 3 ECGs"),
        (["--row", 0, "--fs", 0], "sampling rate must be positive, got 0.0"),
        (["--row", 0, "--fs", 0, "--no-harmonise"], "sampling rate must be a positive finite"),
        (["--row", 0, "--fs", 100, "--rhythm-lead", "X"], "rhythm lead 'X'"),
        (["--row", 0, "--fs", 100, "--layout", "4x3"], "invalid choice: '4x3'"),
        (["--row", 0, "--fs", 100, "--speed", 30], "invalid choice: 30.0"),
        (["--row", 0, "--fs", 100, "--chest-gain", 7], "invalid choice: 7.0"),
        (["--row", 0, "--fs", 100, "--dpi", 100], "--dpi applies only to --format png"),
    ],
)
def test_bad_arguments_exit_with_a_message(batch, tmp_path, capsys, extra, message):
    path, _ = batch
    code, _, err = run([path, *extra, "-o", tmp_path / "ecg.svg"], capsys)
    assert code == 2 and message in err
    assert not (tmp_path / "ecg.svg").exists()


def test_input_problems_exit_with_a_message(batch, shared_data, tmp_path, capsys):
    path, array = batch
    single = tmp_path / "single.npy"
    np.save(single, array[0])
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, array[0, :8])
    short = tmp_path / "short.npy"
    np.save(short, array[0, :, :500])
    record = shared_data / "ptbxl_sample" / "00001_lr.hea"
    out = tmp_path / "x.svg"
    cases = [
        ([path, "--row", 0, "-o", out], "--fs (the sampling rate in Hz) is required"),
        ([single, "--row", 0, "--fs", 100, "-o", out], "--row applies to an (N, 12, L)"),
        ([wrong, "--fs", 100, "-o", out], "expected shape (12, L) or (N, 12, L)"),
        ([short, "--fs", 100, "-o", out], "ECG lasts 5.00 s, shorter than the 10.0 s window"),
        ([short, "--fs", 100, "--no-harmonise", "-o", out], "has 500 samples but the layout"),
        ([tmp_path / "none.npy", "--fs", 100, "-o", out], "No such file"),
        ([tmp_path / "ecg.csv", "-o", out], "expected a .npy array or a WFDB record"),
        ([tmp_path / "missing.hea", "-o", out], "missing WFDB header"),
        ([record, "--fs", 500, "-o", out], "sampled at 100 Hz, not --fs 500"),
        ([record, "--order", "sssd", "-o", out], "--row and --order apply to .npy input"),
        ([record, "-o", tmp_path / "x.gif"], "cannot tell the format from 'x.gif'"),
    ]
    for argv, message in cases:
        code, _, err = run(argv, capsys)
        assert code == 2 and message in err, (argv, err)
    assert not out.exists()


def test_runs_as_a_module(batch, tmp_path):
    path, _ = batch
    out = tmp_path / "ecg.svg"
    command = [sys.executable, "-m", "ecg_render.cli", str(path), "--row", "1", "--fs", "100"]
    done = subprocess.run([*command, "-o", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_text().count('data-lead="') == 13
