"""Read 12-lead WFDB records into standard-order millivolt arrays, with clear errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import wfdb

from generator.core.harmonise import resample
from generator.core.leads import STANDARD_LEADS, LeadError, normalise_lead_name
from generator.records.errors import RecordError

# Leads that a 12-lead record may carry beside the standard twelve (PTB's Frank leads).
EXTRA_LEADS = {"VX", "VY", "VZ"}
_UNIT_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "v": 1e3}


def record_base(path: str | Path) -> Path:
    """The record path without extension (``.../00001_lr`` for ``00001_lr.hea``)."""
    path = Path(path)
    return path.with_suffix("") if path.suffix in {".hea", ".dat"} else path


def read_wfdb_12lead(path: str | Path) -> tuple[np.ndarray, float]:
    """Read a WFDB record and return its 12 standard leads (12, N) in mV and the rate.

    Frank leads (vx, vy, vz) are skipped; any other unknown lead name, a missing
    header, a rate that is not positive, a truncated signal file, samples that do not
    match the header's checksums and non-finite samples raise :class:`RecordError`.
    """
    base = record_base(path)
    header_path = base.with_suffix(".hea")
    if not header_path.is_file():
        raise RecordError(header_path, "missing WFDB header (.hea)")
    try:
        header = wfdb.rdheader(str(base))
    except Exception as exc:  # wfdb raises many kinds for malformed headers
        raise RecordError(header_path, f"unreadable WFDB header: {exc}") from exc
    if not (math.isfinite(header.fs) and header.fs > 0):
        raise RecordError(header_path, f"sampling rate {header.fs} is not a positive number")
    channels = _standard_channels(header_path, header.sig_name or [])
    _check_signal_files(base, header, channels)
    try:
        record = wfdb.rdrecord(
            str(base),
            channels=[channels[lead] for lead in STANDARD_LEADS],
            physical=False,  # the stored integers, which the header's checksums sum
            smooth_frames=False,
        )
    except Exception as exc:
        raise RecordError(base.with_suffix(".dat"), f"unreadable signal file: {exc}") from exc
    _check_checksums(base, record)
    scale = np.array([_unit_scale(header_path, unit) for unit in record.units])[:, None]
    signal = _physical(record) * scale
    if not np.all(np.isfinite(signal)):
        raise RecordError(base.with_suffix(".dat"), "signal contains NaN/inf samples")
    return signal.astype(np.float32), float(record.fs)


def segment_10s(
    signal: np.ndarray, fs: float, *, seconds: float = 10.0, target_fs: float | None = None
) -> list[np.ndarray]:
    """Cut a long record into consecutive non-overlapping windows, resampled on request."""
    if target_fs is not None and target_fs != fs:
        signal = resample(signal, fs, target_fs).astype(np.float32)
        fs = target_fs
    width = int(round(seconds * fs))
    return [
        signal[:, start : start + width] for start in range(0, signal.shape[1] - width + 1, width)
    ]


def _standard_channels(header_path: Path, names: list[str]) -> dict[str, int]:
    channels: dict[str, int] = {}
    unknown = []
    for index, name in enumerate(names):
        if str(name).strip().upper() in EXTRA_LEADS:
            continue
        try:
            lead = normalise_lead_name(name)
        except LeadError:
            unknown.append(name)
            continue
        if lead in channels:
            raise RecordError(header_path, f"lead {lead} appears twice")
        channels[lead] = index
    if unknown:
        raise RecordError(header_path, f"unknown lead names: {', '.join(map(str, unknown))}")
    missing = [lead for lead in STANDARD_LEADS if lead not in channels]
    if missing:
        raise RecordError(
            header_path,
            f"wrong lead count: {len(channels)} standard leads, missing {', '.join(missing)}",
        )
    return channels


def _check_signal_files(base: Path, header: wfdb.Record, channels: dict[str, int]) -> None:
    """Refuse a missing or truncated .dat before wfdb pads or misreads it."""
    bytes_per_sample = {"16": 2, "32": 4, "8": 1, "80": 1, "212": 1.5, "24": 3, "61": 2}
    for file_name in sorted({header.file_name[index] for index in channels.values()}):
        all_in_file = [
            fmt for fmt, name in zip(header.fmt, header.file_name, strict=True) if name == file_name
        ]
        path = base.parent / file_name
        if not path.is_file():
            raise RecordError(path, "missing signal file")
        width = sum(bytes_per_sample.get(str(fmt), 0) for fmt in all_in_file)
        if width and header.sig_len and path.stat().st_size < width * header.sig_len:
            raise RecordError(
                path,
                f"truncated signal file: {path.stat().st_size} bytes, "
                f"header promises {int(width * header.sig_len)}",
            )


def _check_checksums(base: Path, record: wfdb.Record) -> None:
    """Refuse leads whose samples do not sum to the header's checksum (where it states one)."""
    computed = record.calc_checksum(expanded=True)
    bad = [
        lead
        for lead, stated, actual in zip(STANDARD_LEADS, record.checksum, computed, strict=True)
        if stated is not None and (stated - actual) % 65536  # headers write them signed or not
    ]
    if bad:
        raise RecordError(
            base,
            f"checksum mismatch in leads {', '.join(bad)}: the signal file does not hold "
            "the samples its header describes (corrupt or altered data)",
        )


def _physical(record: wfdb.Record) -> np.ndarray:
    """(12, samples) float64 in the record's units; a lead's frames are averaged to one sample."""
    leads = record.dac(expanded=True)
    return np.stack(
        [
            np.asarray(lead, dtype=np.float64).reshape(-1, per_frame).mean(axis=1)
            for lead, per_frame in zip(leads, record.samps_per_frame, strict=True)
        ]
    )


def _unit_scale(header_path: Path, unit: str | None) -> float:
    key = (unit or "mV").strip().lower()
    if key not in _UNIT_TO_MV:
        raise RecordError(header_path, f"unsupported signal unit {unit!r}")
    return _UNIT_TO_MV[key]
