"""Harmonisation brings every source to one representation."""

from __future__ import annotations

import numpy as np
import pytest

from generator.core.harmonise import HarmonisationSpec, harmonise
from generator.core.leads import from_order


def test_real_and_synthetic_end_up_on_the_same_grid(shared_data):
    folder = shared_data / "sssd_ecg_turing22"
    real = from_order(np.load(folder / "real.npy")[0], "sssd")
    synthetic = from_order(np.load(folder / "synthetic.npy")[0], "sssd")
    spec = HarmonisationSpec()
    out_real, out_syn = harmonise(real, 100, spec), harmonise(synthetic, 100, spec)
    assert out_real.shape == out_syn.shape == (12, 1000)
    assert out_real.dtype == out_syn.dtype == np.float32
    for out in (out_real, out_syn):  # both quantised to 1 uV
        np.testing.assert_allclose(out * 1000, np.round(out * 1000), atol=1e-3)
    # synthetic rows were not quantised before; afterwards they differ by <= half a quantum
    assert np.max(np.abs(out_syn - synthetic)) <= 0.0005 + 1e-6


def test_resampling_preserves_a_sine_and_cuts_ten_seconds():
    fs = 1000
    t = np.arange(int(12.5 * fs)) / fs
    signal = np.tile(np.sin(2 * np.pi * 5 * t), (12, 1))
    out = harmonise(signal, fs, HarmonisationSpec(sampling_rate=100, quantum_mv=0))
    assert out.shape == (12, 1000)
    expected = np.sin(2 * np.pi * 5 * np.arange(1000) / 100)
    np.testing.assert_allclose(out[0, 50:-50], expected[50:-50], atol=2e-3)


def test_bandpass_removes_baseline_offset():
    signal = np.full((12, 1000), 2.0) + np.sin(2 * np.pi * 10 * np.arange(1000) / 100)
    out = harmonise(signal, 100, HarmonisationSpec(bandpass_hz=(0.5, 40.0)))
    assert abs(float(out[:, 100:-100].mean())) < 0.01


def test_too_short_and_bad_specs_are_refused():
    with pytest.raises(ValueError, match="shorter than the 10.0 s window"):
        harmonise(np.zeros((12, 500)), 100, HarmonisationSpec())
    with pytest.raises(ValueError, match="Nyquist"):
        HarmonisationSpec(sampling_rate=100, bandpass_hz=(0.5, 60.0))
    with pytest.raises(ValueError, match="NaN"):
        harmonise(np.full((12, 1000), np.nan), 100, HarmonisationSpec())


def test_from_dict_round_trips_and_fills_missing_keys_with_the_defaults():
    spec = HarmonisationSpec(sampling_rate=250, bandpass_hz=(0.5, 40.0), quantum_mv=0)
    assert HarmonisationSpec.from_dict(spec.as_dict()) == spec
    # JSON stores the band as a list and may hold ints
    assert HarmonisationSpec.from_dict({"sampling_rate": 500, "bandpass_hz": [1, 40]}) == (
        HarmonisationSpec(sampling_rate=500.0, bandpass_hz=(1.0, 40.0))
    )
    assert HarmonisationSpec.from_dict({}) == HarmonisationSpec()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("x", "harmonisation must be an object of settings, got str"),
        ([100, 10], "harmonisation must be an object of settings, got list"),
        ({"rate": 100}, r"unknown harmonisation settings: rate \(known: sampling_rate"),
        ({"sampling_rate": -1}, "harmonisation.sampling_rate must be a positive number, got -1"),
        ({"sampling_rate": "100"}, "harmonisation.sampling_rate must be a positive number"),
        ({"sampling_rate": True}, "harmonisation.sampling_rate must be a positive number"),
        ({"duration_s": 0}, "harmonisation.duration_s must be a positive number, got 0"),
        ({"duration_s": float("inf")}, "harmonisation.duration_s must be a positive number"),
        ({"quantum_mv": -0.001}, r"harmonisation.quantum_mv must be a number >= 0"),
        ({"quantum_mv": None}, r"harmonisation.quantum_mv must be a number >= 0, got None"),
        ({"bandpass_hz": "0.5-40"}, r"harmonisation.bandpass_hz must be null or \[low, high\]"),
        ({"bandpass_hz": [0.5]}, r"harmonisation.bandpass_hz must be null or \[low, high\]"),
        ({"bandpass_hz": [0.5, "40"]}, r"harmonisation.bandpass_hz must be null or \[low"),
        ({"bandpass_hz": [0.5, 60]}, r"harmonisation.bandpass_hz: .*Nyquist \(50.0 Hz\)"),
    ],
)
def test_from_dict_refuses_bad_settings_naming_the_field(data, message):
    with pytest.raises(ValueError, match=message):
        HarmonisationSpec.from_dict(data)
