"""Iterate over a PTB-XL directory (ptbxl_database.csv, scp_statements.csv, WFDB records)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from generator.core.scp import STATEMENT_BY_CODE, ScpCodeError, parse_scp_codes
from generator.records.errors import RecordError
from generator.records.types import EcgRecord
from generator.records.usable import check_usable
from generator.records.wfdb_reader import read_wfdb_12lead

_RATE_COLUMN = {100: "filename_lr", 500: "filename_hr"}
_REQUIRED_COLUMNS = ("ecg_id", "patient_id", "scp_codes", "strat_fold")


@dataclass
class PtbxlIndex:
    """The selected rows of ptbxl_database.csv and where their records lie."""

    root: Path
    rate: int
    rows: pd.DataFrame

    def __len__(self) -> int:
        return len(self.rows)


def open_ptbxl(
    root: str | Path,
    *,
    rate: int = 100,
    folds: Sequence[int] | None = None,
    limit: int | None = None,
) -> PtbxlIndex:
    """Read and check PTB-XL's tables, selecting folds and at most ``limit`` records."""
    root = Path(root)
    if rate not in _RATE_COLUMN:
        raise ValueError(f"PTB-XL rate must be 100 or 500, got {rate}")
    database = root / "ptbxl_database.csv"
    statements = root / "scp_statements.csv"
    for required in (database, statements):
        if not required.is_file():
            raise RecordError(required, "missing PTB-XL table")
    _check_statements(statements)
    try:
        rows = pd.read_csv(database)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RecordError(database, f"unreadable CSV: {exc}") from exc
    missing = [c for c in (*_REQUIRED_COLUMNS, _RATE_COLUMN[rate]) if c not in rows.columns]
    if missing:
        raise RecordError(database, f"missing columns: {', '.join(missing)}")
    rows = rows.sort_values("ecg_id")
    if folds:
        rows = rows[rows["strat_fold"].isin(list(folds))]
    if limit is not None:
        rows = rows.head(limit)
    return PtbxlIndex(root=root, rate=rate, rows=rows.reset_index(drop=True))


def source_key(rate: int, ecg_id: int) -> str:
    """The store's idempotency key of a PTB-XL record."""
    return f"ptbxl:{rate}:{ecg_id}"


def iter_records(
    index: PtbxlIndex, *, skip_keys: frozenset[str] = frozenset()
) -> Iterator[EcgRecord]:
    """Yield the selected records as :class:`EcgRecord`, skipping ``skip_keys``."""
    column = _RATE_COLUMN[index.rate]
    for row in index.rows.itertuples(index=False):
        ecg_id = int(row.ecg_id)
        key = source_key(index.rate, ecg_id)
        if key in skip_keys:
            continue
        record_path = index.root / str(getattr(row, column))
        try:
            codes = parse_scp_codes(row.scp_codes)
        except ScpCodeError as exc:
            raise RecordError(index.root / "ptbxl_database.csv", f"ecg_id {ecg_id}: {exc}") from exc
        signal, fs = read_wfdb_12lead(record_path)
        check_usable(record_path, sampling_rate=fs, n_samples=signal.shape[1])
        yield EcgRecord(
            source_key=key,
            signal=signal,
            sampling_rate=fs,
            source="real",
            origin="ptbxl",
            scp_codes=codes,
            dataset_ecg_id=ecg_id,
            patient_id=_optional_int(row.patient_id),
            strat_fold=_optional_int(row.strat_fold),
        )


@dataclass
class PtbxlRecord:
    """A PTB-XL record as the generator's training code consumes it."""

    ecg_id: int
    patient_id: int | None
    strat_fold: int | None
    signal: np.ndarray
    fs: float
    scp_codes: dict[str, float]


def iter_ptbxl(
    root: str | Path,
    *,
    rate: int = 100,
    folds: Sequence[int] | None = None,
    limit: int | None = None,
) -> Iterator[PtbxlRecord]:
    """Yield PTB-XL records (standard lead order, mV) without touching the database."""
    for record in iter_records(open_ptbxl(root, rate=rate, folds=folds, limit=limit)):
        yield PtbxlRecord(
            ecg_id=record.dataset_ecg_id or 0,
            patient_id=record.patient_id,
            strat_fold=record.strat_fold,
            signal=record.signal,
            fs=record.sampling_rate,
            scp_codes=record.scp_codes,
        )


def _check_statements(path: Path) -> None:
    try:
        table = pd.read_csv(path, index_col=0)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RecordError(path, f"unreadable CSV: {exc}") from exc
    unknown = sorted(set(map(str, table.index)) - set(STATEMENT_BY_CODE))
    if unknown:
        raise RecordError(path, f"statements unknown to this platform: {', '.join(unknown)}")


def _optional_int(value: object) -> int | None:
    try:
        number = float(value)  # PTB-XL stores patient ids as floats (15709.0)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else int(number)
