"""Compressed, checksummed signal storage."""

from __future__ import annotations

import numpy as np
import pytest

from generator.core.signal_codec import SignalIntegrityError, decode_signal, encode_signal


def test_round_trip_is_exact_and_compact(shared_data):
    signal = np.load(shared_data / "sssd_ecg_turing22" / "real.npy")[0]
    blob, digest = encode_signal(signal)
    np.testing.assert_array_equal(decode_signal(blob, digest), signal)
    assert len(blob) < signal.nbytes  # 1 uV-quantised data compresses


def test_corrupted_bytes_fail_the_checksum():
    blob, digest = encode_signal(np.ones((12, 100), dtype=np.float32))
    with pytest.raises(SignalIntegrityError):
        decode_signal(blob[:-3] + b"xyz", digest)
    with pytest.raises(SignalIntegrityError, match="checksum mismatch"):
        decode_signal(blob, "0" * 64)
