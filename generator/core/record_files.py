"""A supplied set of ECGs in a file, read memory-mapped and harmonised block by block
(pure numpy): the training set (or held-out reference) of a privacy screen given as a
file instead of the store's folds.

Formats (12 leads, mV):

- ``.npy``: one array (N, 12, L); the sampling rate must be stated by the caller.
- ``.npz``: ``signals`` (N, 12, L), optional ``ids`` (N unique numbers or strings, shown
  for the nearest record) and optional ``sampling_rate`` (a number; a caller's rate must
  agree with it).

Leads are in the standard order (I, II, III, aVR, aVL, aVF, V1-V6) unless another named
order is given (``sssd``: the SSSD-ECG arrays). A ``.npy`` file and a ``.npz`` written
uncompressed (``np.savez``) are memory-mapped, so only the block being searched is read;
a compressed ``.npz`` member cannot be mapped and is read whole.
"""

from __future__ import annotations

import math
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.core.dcr import RecordBlocks
from generator.core.file_hash import file_sha256
from generator.core.harmonise import HarmonisationSpec, harmonise
from generator.core.leads import LEAD_ORDERS, from_order
from generator.core.numpy_files import numpy_format_problem, read_npy_header

SIGNALS_KEY, IDS_KEY, RATE_KEY = "signals", "ids", "sampling_rate"
CHECK_BLOCK = 1024
# The longest record id a screen can store beside its result (ScreenedECG.nearest_key).
MAX_ID_LENGTH = 200


class RecordFileError(ValueError):
    """A supplied ECG file that cannot be used; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class RecordFile:
    """A checked ECG file: its (memory-mapped) signals, ids, rate, lead order and SHA-256."""

    path: Path
    signals: np.ndarray  # (N, 12, L), a np.memmap where the file allows
    ids: list[str]
    sampling_rate: float
    lead_order: str
    sha256: str

    def __len__(self) -> int:
        return len(self.signals)

    def source(self) -> dict:
        """Where the set came from, as a screen records it."""
        return {
            "kind": "file",
            "path": str(self.path),
            "sha256": self.sha256,
            "rows": len(self),
            "sampling_rate": self.sampling_rate,
            "lead_order": self.lead_order,
        }

    def harmonised(self, spec: HarmonisationSpec, block_size: int = 1024) -> RecordBlocks:
        """The rows as :class:`RecordBlocks`, each harmonised by ``spec`` when read."""
        have_s = self.signals.shape[2] / self.sampling_rate
        if have_s + 1e-9 < spec.duration_s:
            raise RecordFileError(
                self.path, f"ECGs last {have_s:.2f} s, shorter than the {spec.duration_s} s window"
            )
        if block_size < 1:
            raise ValueError(f"block size must be at least 1, got {block_size}")

        def rows(indices: np.ndarray) -> np.ndarray:
            indices = np.asarray(indices, dtype=np.int64)
            raw = np.asarray(self.signals[indices], dtype=np.float64)
            return np.stack(
                [self._harmonise(row, spec, int(i)) for i, row in zip(indices, raw, strict=True)]
            ) if len(indices) else np.empty((0, 12, spec.n_samples), np.float32)  # fmt: skip

        n = len(self)
        return RecordBlocks(
            count=n,
            blocks=lambda: (
                rows(np.arange(a, min(a + block_size, n))) for a in range(0, n, block_size)
            ),
            take=rows,
        )

    def _harmonise(self, row: np.ndarray, spec: HarmonisationSpec, index: int) -> np.ndarray:
        try:
            return harmonise(from_order(row, self.lead_order), self.sampling_rate, spec)
        except ValueError as exc:
            raise RecordFileError(self.path, f"row {index}: {exc}") from exc


def open_record_file(
    path: str | Path, *, sampling_rate: float | None = None, lead_order: str = "standard"
) -> RecordFile:
    """Open and check ``path`` (see the module docstring for the formats); every problem
    (missing file, unknown extension, missing key, wrong shape, NaN, rate) raises a
    :class:`RecordFileError` naming it. The samples are checked a block at a time."""
    path = Path(path)
    if not path.is_file():
        raise RecordFileError(path, "file not found")
    if lead_order not in LEAD_ORDERS:
        raise RecordFileError(
            path, f"unknown lead order {lead_order!r}; expected one of {sorted(LEAD_ORDERS)}"
        )
    if path.suffix not in (".npy", ".npz"):
        raise RecordFileError(path, f"unknown extension {path.suffix!r}: expected .npy or .npz")
    try:
        problem = numpy_format_problem(path)
        if problem:
            raise RecordFileError(path, problem)
        if path.suffix == ".npy":
            signals, ids, file_rate = np.load(path, mmap_mode="r", allow_pickle=False), None, None
        else:
            signals, ids, file_rate = _read_npz(path)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, RecordFileError):
            raise
        raise RecordFileError(path, f"unreadable array file: {exc}") from exc
    _check_signals(path, signals)
    rate = _rate(path, sampling_rate, file_rate)
    return RecordFile(
        path=path.resolve(),
        signals=signals,
        ids=_ids(path, ids, len(signals)),
        sampling_rate=rate,
        lead_order=lead_order,
        sha256=file_sha256(path),
    )


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None, object]:
    with np.load(path, allow_pickle=False) as archive:
        if SIGNALS_KEY not in archive.files:
            raise RecordFileError(
                path, f"missing key {SIGNALS_KEY!r} (the file holds {sorted(archive.files)})"
            )
        ids = archive[IDS_KEY] if IDS_KEY in archive.files else None
        rate = archive[RATE_KEY] if RATE_KEY in archive.files else None
        mapped = _mapped_member(path, SIGNALS_KEY + ".npy")
        signals = mapped if mapped is not None else archive[SIGNALS_KEY]
    return signals, ids, rate


def _mapped_member(path: Path, member: str) -> np.memmap | None:
    """An uncompressed .npz member mapped in place (None when it is compressed)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)  # the local file header; name and extra field follow
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        shape, fortran, dtype = read_npy_header(handle)
        offset = handle.tell()
    if dtype.hasobject:
        raise RecordFileError(path, f"{member} holds Python objects, not numbers")
    order = "F" if fortran else "C"
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order=order)


def _check_signals(path: Path, signals: np.ndarray) -> None:
    if signals.ndim != 3 or signals.shape[1] != 12:
        raise RecordFileError(path, f"wrong shape {signals.shape}: expected (N, 12, samples)")
    if len(signals) == 0:
        raise RecordFileError(path, "holds no ECGs")
    if not np.issubdtype(signals.dtype, np.number) or np.issubdtype(
        signals.dtype, np.complexfloating
    ):
        raise RecordFileError(path, f"samples are not real numbers ({signals.dtype})")
    for first in range(0, len(signals), CHECK_BLOCK):
        block = np.asarray(signals[first : first + CHECK_BLOCK])
        finite = np.isfinite(block).all(axis=(1, 2))
        if not finite.all():
            bad = (first + np.flatnonzero(~finite)[:5]).tolist()
            raise RecordFileError(path, f"NaN/inf samples in rows {bad}")


def _rate(path: Path, given: float | None, stored: object) -> float:
    if stored is not None:
        stored_array = np.asarray(stored)
        if stored_array.size != 1 or not np.issubdtype(stored_array.dtype, np.number):
            raise RecordFileError(path, f"{RATE_KEY!r} must be one number, got {stored_array!r}")
        stored = float(stored_array.reshape(()))
    rate = given if given is not None else stored
    if rate is None:
        raise RecordFileError(path, "no sampling rate: state it (the file does not hold one)")
    if given is not None and stored is not None and not math.isclose(given, stored):
        raise RecordFileError(
            path, f"the stated rate {given:g} Hz differs from the file's {stored:g} Hz"
        )
    if not (math.isfinite(rate) and rate > 0):
        raise RecordFileError(path, f"sampling rate must be positive, got {rate}")
    return float(rate)


def _ids(path: Path, ids: np.ndarray | None, n: int) -> list[str]:
    if ids is None:
        return [f"row {i}" for i in range(n)]
    if ids.shape != (n,):
        raise RecordFileError(path, f"{IDS_KEY!r} has shape {ids.shape}, expected ({n},)")
    if not (np.issubdtype(ids.dtype, np.integer) or ids.dtype.kind in "US"):
        raise RecordFileError(path, f"{IDS_KEY!r} must be integers or strings, got {ids.dtype}")
    names = [x.decode() if isinstance(x, bytes) else str(x) for x in ids.tolist()]
    if len(set(names)) != n:
        raise RecordFileError(path, f"{IDS_KEY!r} are not unique")
    too_long = next((i for i, name in enumerate(names) if len(name) > MAX_ID_LENGTH), None)
    if too_long is not None:
        raise RecordFileError(
            path, f"{IDS_KEY!r} row {too_long} is longer than {MAX_ID_LENGTH} characters"
        )
    return names
