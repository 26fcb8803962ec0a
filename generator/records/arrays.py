"""Read published ECG arrays (.npy/.npz of shape (N, 12, L)) and their label files."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from generator.core.file_hash import file_sha256
from generator.core.leads import LeadError, from_order
from generator.core.numpy_files import numpy_format_problem
from generator.core.scp import SCP_VOCABULARY, STATEMENT_BY_CODE, split_label_key
from generator.records.errors import RecordError
from generator.records.types import EcgRecord
from generator.records.usable import check_usable

_SIGNAL_KEYS = ("signals", "data", "x", "X", "arr_0")


def load_signal_array(path: str | Path) -> np.ndarray:
    """Load (N, 12, L) float data from .npy or .npz; (N, L, 12) is transposed."""
    path = Path(path)
    if not path.is_file():
        raise RecordError(path, "file not found")
    if path.suffix not in (".npy", ".npz"):
        raise RecordError(path, "expected a .npy or .npz file")
    try:
        problem = numpy_format_problem(path)
        if problem:
            raise RecordError(path, problem)
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                key = next((k for k in _SIGNAL_KEYS if k in archive.files), None)
                if key is None:
                    raise RecordError(path, f"no signal array among {archive.files}")
                array = archive[key]
        else:
            array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, RecordError):
            raise
        raise RecordError(path, f"unreadable array file: {exc}") from exc
    if array.ndim != 3:
        raise RecordError(path, f"wrong shape {array.shape}: expected (N, 12, samples)")
    if array.shape[1] != 12 and array.shape[2] == 12:
        array = array.transpose(0, 2, 1)
    if array.shape[1] != 12:
        raise RecordError(path, f"wrong lead count in shape {array.shape}: expected 12 leads")
    if not np.issubdtype(array.dtype, np.number):
        raise RecordError(path, f"non-numeric dtype {array.dtype}")
    finite = np.isfinite(array).all(axis=(1, 2))
    if not finite.all():
        bad = np.flatnonzero(~finite)[:5].tolist()
        raise RecordError(path, f"NaN/inf samples in rows {bad}")
    return array


def load_label_file(path: str | Path, n_rows: int) -> list[dict[str, float]]:
    """Labels per row from a (N, 71) multi-hot .npy (SSSD-ECG order) or a CSV.

    The CSV needs an ``scp_codes`` column with codes joined by ``_`` (as in the
    SSSD-ECG Turing-test trials table) and, optionally, ``array_index``.
    """
    path = Path(path)
    if not path.is_file():
        raise RecordError(path, "label file not found")
    if path.suffix == ".npy":
        labels = _multi_hot_labels(path)
    elif path.suffix == ".csv":
        labels = _csv_labels(path, n_rows)
    else:
        raise RecordError(path, "labels must be a .npy multi-hot array or a .csv")
    if len(labels) != n_rows:
        raise RecordError(path, f"{len(labels)} label rows for {n_rows} signals")
    return labels


@dataclass
class ArrayRecords:
    """The rows of a loaded, checked array file as store records; ``len`` is known upfront."""

    path: Path
    array: np.ndarray
    labels: list[dict[str, float]]
    lead_order: str
    sampling_rate: float
    origin: str
    source: str

    def __len__(self) -> int:
        return len(self.array)

    def __iter__(self) -> Iterator[EcgRecord]:
        digest = file_sha256(self.path)[:16]
        for index, row in enumerate(self.array):
            try:
                signal = from_order(row, self.lead_order).astype(np.float32)
            except LeadError as exc:
                raise RecordError(self.path, str(exc)) from exc
            yield EcgRecord(
                source_key=f"array:{self.origin}:{digest}:{index}",
                signal=signal,
                sampling_rate=float(self.sampling_rate),
                source=self.source,
                origin=self.origin,
                scp_codes=self.labels[index],
                provenance={"file": self.path.name, "row": index, "lead_order": self.lead_order},
            )


def array_records(
    path: str | Path,
    *,
    lead_order: str,
    sampling_rate: float,
    origin: str,
    source: str = "synthetic",
    labels_path: str | Path | None = None,
) -> ArrayRecords:
    """Load and check an array file (and its labels) once; iterate for one record per row."""
    path = Path(path)
    if source not in {"real", "synthetic"}:
        raise RecordError(path, f"source must be real or synthetic, got {source!r}")
    array = load_signal_array(path)
    check_usable(path, sampling_rate=sampling_rate, n_samples=array.shape[2])  # every row alike
    labels = load_label_file(labels_path, len(array)) if labels_path else [{}] * len(array)
    return ArrayRecords(path, array, labels, lead_order, float(sampling_rate), origin, source)


def _multi_hot_labels(path: Path) -> list[dict[str, float]]:
    try:
        problem = numpy_format_problem(path)
        if problem:
            raise RecordError(path, f"label array: {problem}")
        matrix = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, RecordError):
            raise
        raise RecordError(path, f"unreadable label array: {exc}") from exc
    if matrix.ndim != 2 or matrix.shape[1] != len(SCP_VOCABULARY):
        raise RecordError(
            path, f"label array shape {matrix.shape}: expected (N, {len(SCP_VOCABULARY)})"
        )
    if not np.isin(matrix, (0, 1)).all():
        raise RecordError(path, "label array must be multi-hot (0/1)")
    return [{SCP_VOCABULARY[j]: 100.0 for j in np.flatnonzero(row)} for row in matrix]


def _csv_labels(path: Path, n_rows: int) -> list[dict[str, float]]:
    table = pd.read_csv(path)
    if "scp_codes" not in table.columns:
        raise RecordError(path, "label CSV needs an scp_codes column")
    if "array_index" in table.columns:
        table = table.set_index("array_index").reindex(range(n_rows))
        if table["scp_codes"].isna().any():
            raise RecordError(path, "label CSV does not cover every array row")
    labels = []
    for raw in table["scp_codes"]:
        codes = split_label_key(str(raw))
        unknown = [c for c in codes if c not in STATEMENT_BY_CODE]
        if unknown:
            raise RecordError(path, f"unknown SCP statements {unknown}")
        labels.append({code: 100.0 for code in codes})
    return labels
