"""Fixtures for the generator tests: a miniature PTB-XL directory built from real files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PTBXL_COLUMNS = "ecg_id,patient_id,age,sex,scp_codes,strat_fold,filename_lr,filename_hr"


def write_database(root: Path, rows: list[str]) -> None:
    """Write ptbxl_database.csv with the given data rows."""
    (root / "ptbxl_database.csv").write_text("\n".join([PTBXL_COLUMNS, *rows]) + "\n")


@pytest.fixture
def mini_ptbxl(tmp_path: Path, shared_data: Path) -> Path:
    """A PTB-XL directory holding record 00001 (as distributed) and a copy of it as 00002."""
    root = tmp_path / "ptbxl"
    records = root / "records100" / "00000"
    records.mkdir(parents=True)
    for ext in ("hea", "dat"):
        shutil.copy(shared_data / "ptbxl_sample" / f"00001_lr.{ext}", records / f"00001_lr.{ext}")
    header = (records / "00001_lr.hea").read_text().replace("00001_lr", "00002_lr")
    (records / "00002_lr.hea").write_text(header)
    shutil.copy(records / "00001_lr.dat", records / "00002_lr.dat")
    shutil.copy(shared_data / "ptbxl_meta" / "scp_statements.csv", root / "scp_statements.csv")
    write_database(
        root,
        [
            "1,15709.0,56.0,1,\"{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}\",3,"
            "records100/00000/00001_lr,records500/00000/00001_hr",
            "2,13243.0,19.0,0,\"{'IMI': 80.0, 'SR': 0.0}\",9,"
            "records100/00000/00002_lr,records500/00000/00002_hr",
        ],
    )
    return root


def store_snapshot() -> list[tuple[str, str]]:
    """Every stored ECG's identity and checksum, to show a failed import changed nothing."""
    from generator.models import ECG

    return sorted(ECG.objects.values_list("source_key", "signal_sha256"))


@pytest.fixture
def existing_store(db) -> list[tuple[str, str]]:
    """One ECG stored before a bad import runs; returns the store's snapshot."""
    import numpy as np

    from generator.records.types import EcgRecord
    from generator.services import ecg_import

    signal = np.full((12, 1000), 0.1, dtype=np.float32)
    ecg_import(records=[EcgRecord("existing:0", signal, 100.0, "real", "existing")])
    return store_snapshot()
