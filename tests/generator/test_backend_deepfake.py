"""DeepFake-ECG backend: bundled weights, seeding, derived leads and millivolt scale."""

from __future__ import annotations

import numpy as np
import pytest

from generator.backends.base import get_backend
from generator.core.leads import STANDARD_LEADS, einthoven_error, from_order


@pytest.fixture(scope="module")
def backend():
    return get_backend("deepfake-ecg", device="cpu", batch_size=4)


@pytest.fixture(scope="module")
def fakes(backend):
    return backend.generate([[]] * 8, seed=1)


def test_shape_units_and_seeding(backend, fakes):
    assert fakes.shape == (8, 12, 5000) and fakes.dtype == np.float32
    assert backend.sampling_rate == 500
    again = backend.generate([["NORM"]] * 2, seed=1, start_index=6)  # labels are ignored
    # Equal up to float rounding of batched convolutions (far below 1 uV).
    np.testing.assert_allclose(again, fakes[6:], rtol=0, atol=1e-4)
    assert not np.allclose(backend.generate([[]], seed=2), fakes[:1])
    assert max(einthoven_error(ecg) for ecg in fakes) < 1e-5
    assert "unconditional" in backend.provenance()["conditioning"]


def test_millivolt_scale_matches_real_ecgs(fakes, shared_data):
    """tanh x 6 (the package's x6000 read as microvolts) gives real-ECG amplitudes."""
    real = np.load(shared_data / "sssd_ecg_turing22" / "real.npy")
    real = np.stack([from_order(ecg, "sssd") for ecg in real])
    rows = [STANDARD_LEADS.index(n) for n in ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")]
    real_p2p = np.ptp(real[:, rows], axis=-1).mean(axis=0)
    fake_p2p = np.ptp(fakes[:, rows], axis=-1).mean(axis=0)
    ratio = fake_p2p / real_p2p
    assert np.all((ratio > 1 / 1.5) & (ratio < 1.5)), ratio
    # Reading the output as 4.88 uV units instead would be ~5x off in every lead.
    assert np.all(ratio * 4.88 > 3)


def test_downsampled_output(backend):
    slow = get_backend("deepfake-ecg", device="cpu", output_rate=100)
    ecg = slow.generate([[]], seed=1)
    assert ecg.shape == (1, 12, 1000) and slow.sampling_rate == 100
    with pytest.raises(ValueError, match="output_rate"):
        get_backend("deepfake-ecg", output_rate=250)
