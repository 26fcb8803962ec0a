"""Harmonisation brings every source to one representation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from generator.core.harmonise import HarmonisationSpec, harmonise, quantise, viewing_spec
from generator.core.leads import STANDARD_LEADS, einthoven_error, from_order

AVR, AVL, AVF = (STANDARD_LEADS.index(name) for name in ("aVR", "aVL", "aVF"))


def turing_rows(shared_data, source: str) -> list[np.ndarray]:
    """The 22 real or synthetic ECGs of the SSSD-ECG Turing test, standard lead order."""
    rows = np.load(shared_data / "sssd_ecg_turing22" / f"{source}.npy")
    return [from_order(row, "sssd") for row in rows]


def random_ecg(seed: int = 0, n: int = 1000) -> np.ndarray:
    """(12, n) mV of smooth-ish noise that does not obey the limb-lead relations."""
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(0, 0.02, (12, n)), axis=1)


def goldberger_residue_share(signal: np.ndarray, quantum_mv: float) -> float:
    """Share of samples whose aVR + aVL + aVF, counted in quanta, is not zero."""
    steps = np.round(signal.astype(np.float64) / quantum_mv)
    return float(np.mean(steps[AVR] + steps[AVL] + steps[AVF] != 0))


def mean_residue_share(rows: list[np.ndarray], spec: HarmonisationSpec) -> float:
    return float(
        np.mean([goldberger_residue_share(harmonise(r, 100, spec), spec.quantum_mv) for r in rows])
    )


def test_default_spec():
    spec = HarmonisationSpec()
    assert spec.as_dict() == {
        "sampling_rate": 100.0, "duration_s": 10.0, "bandpass_hz": None,
        "quantum_mv": 0.01, "derive_limb_leads": True, "dither": "rpdf",
    }  # fmt: skip


def test_real_and_synthetic_end_up_on_the_same_grid(shared_data):
    real = turing_rows(shared_data, "real")[0]
    synthetic = turing_rows(shared_data, "synthetic")[0]
    spec = HarmonisationSpec()
    out_real, out_syn = harmonise(real, 100, spec), harmonise(synthetic, 100, spec)
    assert out_real.shape == out_syn.shape == (12, 1000)
    assert out_real.dtype == out_syn.dtype == np.float32
    for out in (out_real, out_syn):  # both on the 10 uV grid
        np.testing.assert_allclose(out * 100, np.round(out * 100), atol=1e-3)
    # rpdf (jitter of one quantum, then dithered rounding) moves a sample by at most two
    # quanta (III = II - I carries two jitters); the synthetic limb leads were derived
    # already, the real ones are re-derived from I and II (stored to 1 uV)
    assert np.max(np.abs(out_syn - synthetic)) <= 0.02 + 1e-6
    assert np.max(np.abs(out_real - real)) <= 0.02 + 0.0015 + 1e-6


def test_goldberger_residue_no_longer_tells_real_from_synthetic(shared_data):
    real, synthetic = turing_rows(shared_data, "real"), turing_rows(shared_data, "synthetic")
    # As stored, real limb leads were rounded one by one and synthetic ones derived
    # exactly: at 1 uV the residue aVR + aVL + aVF is non-zero far more often in real rows.
    as_stored = HarmonisationSpec(derive_limb_leads=False, dither="none", quantum_mv=0.001)
    real_share, synthetic_share = (
        mean_residue_share(rows, as_stored) for rows in (real, synthetic)
    )
    assert real_share > synthetic_share + 0.25  # measured: 0.62 vs 0.26
    # Derived from I and II, then each lead dithered and rounded on its own: the same share.
    spec = HarmonisationSpec()
    real_share, synthetic_share = (mean_residue_share(rows, spec) for rows in (real, synthetic))
    assert 0.3 < real_share < 0.9 and 0.3 < synthetic_share < 0.9  # measured: 0.45 and 0.45
    assert abs(real_share - synthetic_share) < 0.1
    for rows in (real, synthetic):  # every single row, too
        shares = [goldberger_residue_share(harmonise(r, 100, spec), 0.01) for r in rows]
        assert min(shares) > 0.3 and max(shares) < 0.9


def test_limb_leads_are_derived_from_i_and_ii_before_rounding():
    signal = random_ecg()
    assert einthoven_error(signal) > 0.1
    derived = harmonise(signal, 100, HarmonisationSpec(quantum_mv=0))
    assert einthoven_error(derived.astype(np.float64)) < 1e-6
    independent = [0, 1, *range(6, 12)]  # I, II, V1-V6 pass unchanged (as float32)
    np.testing.assert_array_equal(derived[independent], signal[independent].astype(np.float32))
    kept = harmonise(signal, 100, HarmonisationSpec(quantum_mv=0, derive_limb_leads=False))
    np.testing.assert_allclose(kept, signal, atol=1e-6)


@pytest.mark.parametrize("dither", ["none", "rpdf"])
@pytest.mark.parametrize("quantum_mv", [0.001, 0.005, 0.01, 0.1])
def test_every_value_is_a_multiple_of_the_quantum(dither, quantum_mv):
    out = harmonise(random_ecg(), 100, HarmonisationSpec(quantum_mv=quantum_mv, dither=dither))
    steps = out.astype(np.float64) / quantum_mv
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)
    assert len(np.unique(np.round(steps))) > 10  # not all rounded to a few levels


def test_subtractive_dither_leaves_the_grid():
    out = harmonise(random_ecg(), 100, HarmonisationSpec(dither="subtractive"))
    steps = out.astype(np.float64) / 0.01
    assert np.mean(np.abs(steps - np.round(steps)) > 0.01) > 0.9


def test_dither_is_a_function_of_the_signal_alone():
    spec = HarmonisationSpec()
    signal = random_ecg()
    first = harmonise(signal, 100, spec)
    assert first.tobytes() == harmonise(signal.copy(), 100, spec).tobytes()
    assert first.tobytes() == harmonise(signal.astype(np.float32), 100, spec).tobytes()
    # One V6 sample moved: elsewhere the signal is unchanged, but the noise is new.
    other = signal.copy()
    other[11, 500] += 0.1
    second = harmonise(other, 100, spec)
    unchanged = np.ones(signal.shape, dtype=bool)
    unchanged[11, 500] = False
    assert np.mean(first[unchanged] != second[unchanged]) > 0.2
    # The same holds for the subtractive dither.
    subtractive = HarmonisationSpec(dither="subtractive")
    assert (
        harmonise(signal, 100, subtractive).tobytes()
        == harmonise(signal, 100, subtractive).tobytes()
    )


def quantisation_error(signal: np.ndarray, spec: HarmonisationSpec) -> np.ndarray:
    """Harmonised minus harmonised-without-rounding, in mV (float64)."""
    unrounded = HarmonisationSpec(**{**spec.as_dict(), "quantum_mv": 0})
    return harmonise(signal, 100, spec).astype(np.float64) - harmonise(
        signal, 100, unrounded
    ).astype(np.float64)


def test_rpdf_dither_error_has_zero_mean_and_stays_within_two_quanta():
    q = 0.01
    error = quantisation_error(random_ecg(), HarmonisationSpec(dither="rpdf"))
    assert abs(error.mean()) < 0.02 * q
    assert np.max(np.abs(error)) <= 2 * q * (1 + 1e-4)  # jitter of I and II reaches III
    assert np.max(np.abs(error)) > 0.7 * q  # the dither does reach past half a quantum
    unjittered = quantisation_error(random_ecg(), HarmonisationSpec(derive_limb_leads=False))
    assert np.max(np.abs(unjittered)) <= 1.5 * q * (1 + 1e-4)  # jitter + rounding
    # Plain rounding of a flat signal 0.3 quanta above a grid line is biased; rpdf is not.
    flat = np.full((12, 1000), 0.203)
    plain = quantisation_error(flat, HarmonisationSpec(dither="none", derive_limb_leads=False))
    np.testing.assert_allclose(plain, -0.003, atol=1e-6)
    dithered = quantisation_error(flat, HarmonisationSpec(derive_limb_leads=False))
    assert abs(dithered.mean()) < 0.02 * q
    assert set(np.round(dithered.ravel() / q + 0.3, 3)) <= {-1.0, 0.0, 1.0}  # 0.19..0.21 mV


def test_subtractive_dither_error_is_uniform_within_half_a_quantum():
    q = 0.01
    error = quantisation_error(random_ecg(), HarmonisationSpec(dither="subtractive"))
    assert np.max(np.abs(error)) <= q / 2 * (1 + 1e-3)
    assert abs(error.mean()) < 0.02 * q
    assert stats.kstest(error.ravel(), stats.uniform(-q / 2, q).cdf).pvalue > 0.01
    counts, _ = np.histogram(error, bins=10, range=(-q / 2, q / 2))
    assert counts.min() > 0.8 * error.size / 10


def test_quantise_checks_its_arguments():
    with pytest.raises(ValueError, match="quantum_mv must be positive"):
        quantise(np.zeros((12, 10)), 0)
    with pytest.raises(ValueError, match="dither must be one of none, rpdf, subtractive"):
        quantise(np.zeros((12, 10)), 0.01, "tpdf")


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


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"sampling_rate": 49.9}, r"harmonisation.sampling_rate must lie between 50 and 1000 Hz"),
        ({"sampling_rate": 2000}, r"harmonisation.sampling_rate must lie between 50 and 1000 Hz"),
        ({"duration_s": 0}, "harmonisation.duration_s must be a positive number"),
        ({"quantum_mv": -0.01}, r"harmonisation.quantum_mv must be a number >= 0 and <= 0.1"),
        ({"quantum_mv": 0.2}, r"harmonisation.quantum_mv must be a number >= 0 and <= 0.1"),
        ({"derive_limb_leads": 1}, "harmonisation.derive_limb_leads must be true or false"),
        ({"dither": "tpdf"}, "harmonisation.dither must be one of none, rpdf, subtractive"),
    ],
)
def test_constructor_refuses_bad_values_naming_the_field(settings, message):
    with pytest.raises(ValueError, match=message):
        HarmonisationSpec(**settings)


def test_viewing_spec_keeps_the_own_rate_when_allowed():
    assert viewing_spec(100) == HarmonisationSpec(sampling_rate=100.0)
    assert viewing_spec(1000) == HarmonisationSpec(sampling_rate=1000.0)
    assert viewing_spec(2000) == HarmonisationSpec(sampling_rate=500.0)
    assert viewing_spec(40) == HarmonisationSpec(sampling_rate=500.0)


def test_from_dict_round_trips_and_fills_missing_keys_with_the_defaults():
    spec = HarmonisationSpec(sampling_rate=250, bandpass_hz=(0.5, 40.0), quantum_mv=0)
    assert HarmonisationSpec.from_dict(spec.as_dict()) == spec
    spec = HarmonisationSpec(quantum_mv=0.1, derive_limb_leads=False, dither="subtractive")
    assert HarmonisationSpec.from_dict(spec.as_dict()) == spec
    # JSON stores the band as a list and may hold ints
    assert HarmonisationSpec.from_dict({"sampling_rate": 500, "bandpass_hz": [1, 40]}) == (
        HarmonisationSpec(sampling_rate=500.0, bandpass_hz=(1.0, 40.0))
    )
    assert HarmonisationSpec.from_dict({}) == HarmonisationSpec()
    # a study stored before the limb-lead and dither settings existed takes their defaults
    old = {"sampling_rate": 100.0, "duration_s": 10.0, "bandpass_hz": None, "quantum_mv": 0.001}
    assert HarmonisationSpec.from_dict(old) == HarmonisationSpec(quantum_mv=0.001)
    assert HarmonisationSpec.from_dict({"sampling_rate": 50, "quantum_mv": 0.1}) == (
        HarmonisationSpec(sampling_rate=50.0, quantum_mv=0.1)
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("x", "harmonisation must be an object of settings, got str"),
        ([100, 10], "harmonisation must be an object of settings, got list"),
        ({"rate": 100}, r"unknown harmonisation settings: rate \(known: sampling_rate"),
        ({"sampling_rate": -1}, "harmonisation.sampling_rate must be a positive number, got -1"),
        ({"sampling_rate": "100"}, "harmonisation.sampling_rate must be a positive number"),
        ({"sampling_rate": True}, "harmonisation.sampling_rate must be a positive number"),
        (
            {"sampling_rate": 49},
            r"harmonisation.sampling_rate must lie between 50 and 1000 Hz, got 49",
        ),
        (
            {"sampling_rate": 1000.5},
            r"harmonisation.sampling_rate must lie between 50 and 1000 Hz, got 1000.5",
        ),
        ({"duration_s": 0}, "harmonisation.duration_s must be a positive number, got 0"),
        ({"duration_s": float("inf")}, "harmonisation.duration_s must be a positive number"),
        ({"quantum_mv": -0.001}, r"harmonisation.quantum_mv must be a number >= 0"),
        ({"quantum_mv": None}, r"harmonisation.quantum_mv must be a number >= 0, got None"),
        (
            {"quantum_mv": 0.5},
            r"harmonisation.quantum_mv must be a number >= 0 and <= 0.1 \(0 disables .*got 0.5",
        ),
        ({"derive_limb_leads": 1}, "harmonisation.derive_limb_leads must be true or false, got 1"),
        ({"derive_limb_leads": "true"}, "harmonisation.derive_limb_leads must be true or false"),
        ({"derive_limb_leads": None}, "harmonisation.derive_limb_leads must be true or false"),
        ({"dither": "TPDF"}, "harmonisation.dither must be one of none, rpdf, subtractive, got"),
        ({"dither": None}, "harmonisation.dither must be one of none, rpdf, subtractive, got None"),
        ({"dither": ["rpdf"]}, "harmonisation.dither must be one of none, rpdf, subtractive"),
        ({"bandpass_hz": "0.5-40"}, r"harmonisation.bandpass_hz must be null or \[low, high\]"),
        ({"bandpass_hz": [0.5]}, r"harmonisation.bandpass_hz must be null or \[low, high\]"),
        ({"bandpass_hz": [0.5, "40"]}, r"harmonisation.bandpass_hz must be null or \[low"),
        ({"bandpass_hz": [0.5, 60]}, r"harmonisation.bandpass_hz: .*Nyquist \(50.0 Hz\)"),
    ],
)
def test_from_dict_refuses_bad_settings_naming_the_field(data, message):
    with pytest.raises(ValueError, match=message):
        HarmonisationSpec.from_dict(data)
