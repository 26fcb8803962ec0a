"""Compact, checksummed storage of 12-lead signals as compressed .npy bytes (pure)."""

from __future__ import annotations

import hashlib
import io
import zlib

import numpy as np

_MAGIC = b"ECGZ1"


class SignalIntegrityError(ValueError):
    """A stored signal whose bytes do not match its checksum or cannot be decoded."""


def signal_sha256(signal: np.ndarray) -> str:
    """SHA-256 of a signal's shape and float32 little-endian samples."""
    array = np.ascontiguousarray(signal, dtype="<f4")
    digest = hashlib.sha256(repr(array.shape).encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


def encode_signal(signal: np.ndarray) -> tuple[bytes, str]:
    """Serialise a signal as zlib-compressed .npy bytes; returns (blob, sha256)."""
    array = np.ascontiguousarray(signal, dtype="<f4")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return _MAGIC + zlib.compress(buffer.getvalue(), level=6), signal_sha256(array)


def decode_signal(blob: bytes, expected_sha256: str) -> np.ndarray:
    """Decode bytes written by :func:`encode_signal`, verifying the checksum."""
    blob = bytes(blob)
    if not blob.startswith(_MAGIC):
        raise SignalIntegrityError("stored signal has an unknown format header")
    try:
        array = np.load(io.BytesIO(zlib.decompress(blob[len(_MAGIC) :])), allow_pickle=False)
    except (zlib.error, ValueError, OSError) as exc:
        raise SignalIntegrityError(f"stored signal cannot be decoded: {exc}") from exc
    actual = signal_sha256(array)
    if actual != expected_sha256:
        raise SignalIntegrityError(
            f"stored signal checksum mismatch: expected {expected_sha256[:12]}…, got {actual[:12]}…"
        )
    return array
