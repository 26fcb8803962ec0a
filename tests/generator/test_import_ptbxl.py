"""manage.py import_ptbxl on a miniature PTB-XL directory built from the real record 00001."""

from __future__ import annotations

import io

import numpy as np
import pytest
import wfdb
from django.core.management import CommandError, call_command

from generator.core.leads import STANDARD_LEADS, einthoven_error
from generator.core.signal_codec import signal_sha256
from generator.models import ECG
from tests.generator.conftest import store_snapshot, write_database

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_ptbxl", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_keeps_values_labels_folds_and_patients(mini_ptbxl, shared_data):
    output = run(mini_ptbxl)
    assert "PTB-XL: 2 added, 0 already stored (2 in all)" in output
    ecg = ECG.objects.get(dataset_ecg_id=1)
    reference = wfdb.rdrecord(str(shared_data / "ptbxl_sample" / "00001_lr"))
    signal = ecg.signal()
    assert signal.shape == (12, 1000) and ecg.sampling_rate == 100
    lead_ii = reference.sig_name.index("II")
    np.testing.assert_allclose(signal[1], reference.p_signal[:, lead_ii], atol=1e-6)
    for k, name in enumerate(STANDARD_LEADS):
        column = [n.upper() for n in reference.sig_name].index(name.upper())
        np.testing.assert_allclose(signal[k], reference.p_signal[:, column], atol=1e-6)
    assert ecg.signal_sha256 == signal_sha256(signal)
    assert ecg.scp_codes == {"NORM": 100.0, "LVOLT": 0.0, "SR": 0.0}
    assert ecg.superclasses == ["NORM"]
    assert ecg.label_set == "LVOLT_NORM_SR"
    assert (ecg.patient_id, ecg.strat_fold, ecg.source, ecg.origin) == (15709, 3, "real", "ptbxl")
    assert einthoven_error(signal.astype(np.float64)) < 0.002


def test_rerun_adds_nothing(mini_ptbxl):
    run(mini_ptbxl)
    output = run(mini_ptbxl)
    assert "PTB-XL: 0 added, 2 already stored (2 in all)" in output
    assert ECG.objects.count() == 2


def test_folds_and_limit_select_records(mini_ptbxl):
    run(mini_ptbxl, "--folds", "9,10")
    assert list(ECG.objects.values_list("dataset_ecg_id", flat=True)) == [2]
    assert ECG.objects.get().superclasses == ["MI"]
    run(mini_ptbxl, "--limit", "1")
    assert sorted(ECG.objects.values_list("dataset_ecg_id", flat=True)) == [1, 2]


def test_truncated_record_keeps_nothing(mini_ptbxl, existing_store):
    dat = mini_ptbxl / "records100" / "00000" / "00002_lr.dat"
    dat.write_bytes(dat.read_bytes()[:5000])
    with pytest.raises(CommandError, match=r"00002_lr.dat: truncated signal file.*nothing"):
        run(mini_ptbxl)
    assert store_snapshot() == existing_store  # record 1 was read first, and rolled back


def test_missing_header_keeps_nothing(mini_ptbxl, existing_store):
    (mini_ptbxl / "records100" / "00000" / "00002_lr.hea").unlink()
    with pytest.raises(CommandError, match=r"00002_lr.hea: missing WFDB header"):
        run(mini_ptbxl)
    assert store_snapshot() == existing_store


def test_unknown_scp_code_keeps_nothing(mini_ptbxl, existing_store):
    write_database(
        mini_ptbxl,
        [
            "1,1.0,50,0,\"{'NORM': 100.0}\",1,records100/00000/00001_lr,x",
            "2,2.0,50,0,\"{'NOPE': 100.0}\",1,records100/00000/00002_lr,x",
        ],
    )
    with pytest.raises(CommandError, match="ecg_id 2: unknown SCP statement 'NOPE'"):
        run(mini_ptbxl)
    assert store_snapshot() == existing_store


def test_missing_tables_and_bad_options_are_reported(mini_ptbxl, tmp_path, existing_store):
    with pytest.raises(CommandError, match="ptbxl_database.csv: missing PTB-XL table"):
        run(tmp_path)
    with pytest.raises(CommandError, match="PTB-XL folds are 1 to 10"):
        run(mini_ptbxl, "--folds", "0,11")
    (mini_ptbxl / "ptbxl_database.csv").write_text("ecg_id,patient_id\n1,2\n")
    with pytest.raises(CommandError, match="missing columns: scp_codes, strat_fold"):
        run(mini_ptbxl)
    assert store_snapshot() == existing_store


def test_record_shorter_than_10_s_keeps_nothing(mini_ptbxl, shared_data, existing_store):
    reference = wfdb.rdrecord(str(shared_data / "ptbxl_sample" / "00001_lr"))
    wfdb.wrsamp(
        "00002_lr", fs=100, units=reference.units, sig_name=reference.sig_name,
        p_signal=reference.p_signal[:500], fmt=["16"] * 12, adc_gain=[1000.0] * 12,
        baseline=[0] * 12, write_dir=str(mini_ptbxl / "records100" / "00000"),
    )  # fmt: skip
    with pytest.raises(CommandError, match=r"00002_lr: shorter than 10 s \(5.00 s\).*nothing"):
        run(mini_ptbxl)
    assert store_snapshot() == existing_store


def test_header_shorter_than_its_signal_file_keeps_nothing(mini_ptbxl, existing_store):
    header = mini_ptbxl / "records100" / "00000" / "00002_lr.hea"
    header.write_text(header.read_text().replace("00002_lr 12 100 1000", "00002_lr 12 100 500"))
    with pytest.raises(CommandError, match=r"00002_lr: checksum mismatch in leads I, II, "):
        run(mini_ptbxl)  # the header's checksums sum all 1000 samples, 500 are read
    assert store_snapshot() == existing_store
