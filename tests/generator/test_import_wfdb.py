"""manage.py import_wfdb on the 1000 Hz PTB Diagnostic record and on broken records."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest
import wfdb
from django.core.management import CommandError, call_command

from generator.models import ECG
from tests.generator.conftest import store_snapshot

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_wfdb", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_ptb_record_is_cut_into_10s_segments(shared_data):
    record = shared_data / "ptb_diagnostic" / "s0010_re"
    output = run(record, "--origin", "ptb-diagnostic")
    assert "WFDB: 3 added" in output  # 38.4 s -> three whole 10 s segments
    segments = list(ECG.objects.order_by("id"))
    reference = wfdb.rdrecord(str(record), channels=list(range(12)))
    for index, ecg in enumerate(segments):
        assert (ecg.sampling_rate, ecg.n_samples, ecg.origin) == (1000, 10000, "ptb-diagnostic")
        expected = reference.p_signal[index * 10000 : (index + 1) * 10000, 1]
        np.testing.assert_allclose(ecg.signal()[1], expected, atol=1e-6)
        assert ecg.provenance["start_s"] == index * 10.0


def test_resampled_import_is_idempotent(shared_data):
    record = shared_data / "ptb_diagnostic" / "s0010_re.hea"
    run(record, "--rate", "500")
    assert "0 added, 3 already stored" in run(record, "--rate", "500")
    assert set(ECG.objects.values_list("n_samples", "sampling_rate")) == {(5000, 500.0)}


@pytest.fixture
def broken_copy(tmp_path, shared_data):
    for ext in ("hea", "dat"):
        shutil.copy(shared_data / "ptbxl_sample" / f"00001_lr.{ext}", tmp_path / f"r.{ext}")
    header = tmp_path / "r.hea"
    header.write_text(header.read_text().replace("00001_lr", "r"))
    return tmp_path / "r"


def test_unknown_lead_name_is_refused(broken_copy, existing_store):
    header = broken_copy.with_suffix(".hea")
    header.write_text(header.read_text().replace(" V6", " FOO"))
    with pytest.raises(CommandError, match=r"r.hea: unknown lead names: FOO"):
        run(broken_copy)
    assert store_snapshot() == existing_store


def test_wrong_lead_count_is_refused(broken_copy, existing_store):
    header = broken_copy.with_suffix(".hea")
    lines = header.read_text().splitlines()
    header.write_text("\n".join([lines[0].replace(" 12 ", " 11 "), *lines[1:12]]) + "\n")
    with pytest.raises(CommandError, match="wrong lead count: 11 standard leads, missing V6"):
        run(broken_copy)
    assert store_snapshot() == existing_store


def test_missing_header_and_truncated_dat_are_refused(broken_copy, tmp_path, existing_store):
    with pytest.raises(CommandError, match="missing WFDB header"):
        run(tmp_path / "nothing")
    dat = broken_copy.with_suffix(".dat")
    dat.write_bytes(dat.read_bytes()[:100])
    with pytest.raises(
        CommandError, match="truncated signal file: 100 bytes, header promises 24000"
    ):
        run(broken_copy)
    assert store_snapshot() == existing_store


def test_a_bad_record_after_a_good_one_keeps_nothing(broken_copy, shared_data, existing_store):
    header = broken_copy.with_suffix(".hea")
    header.write_text(header.read_text().replace(" V6", " FOO"))
    good = shared_data / "ptb_diagnostic" / "s0010_re"
    with pytest.raises(CommandError, match="unknown lead names"):
        run(good, broken_copy)
    assert store_snapshot() == existing_store


def test_nan_samples_are_refused(tmp_path, shared_data, existing_store):
    reference = wfdb.rdrecord(str(shared_data / "ptbxl_sample" / "00001_lr"))
    signal = reference.p_signal.copy()
    signal[100:110, 3] = np.nan  # written as the format's invalid-sample value
    wfdb.wrsamp(
        "gap", fs=100, units=reference.units, sig_name=reference.sig_name, p_signal=signal,
        fmt=["16"] * 12, adc_gain=[1000.0] * 12, baseline=[0] * 12, write_dir=str(tmp_path),
    )  # fmt: skip
    with pytest.raises(CommandError, match=r"gap.dat: signal contains NaN/inf samples"):
        run(tmp_path / "gap")
    assert store_snapshot() == existing_store


def run_both(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_wfdb", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_samples_that_fail_the_header_checksums_are_refused(broken_copy, existing_store):
    dat = broken_copy.with_suffix(".dat")
    samples = np.fromfile(dat, dtype="<i2").reshape(-1, 12)  # format 16, frame by frame
    samples[200:800, 7] = 32767  # 600 samples of V2, the file keeps its size
    samples.tofile(dat)
    with pytest.raises(CommandError, match=r"r: checksum mismatch in leads V2: .*corrupt"):
        run(broken_copy)
    samples[:50] = 32767  # 600 samples across every lead, as a corrupt copy would hold
    samples.tofile(dat)
    with pytest.raises(CommandError, match=r"checksum mismatch in leads I, II, III, .*, V6: "):
        run(broken_copy)
    assert store_snapshot() == existing_store


@pytest.mark.parametrize("rate", ["20", "2000", "0"])
def test_rate_outside_the_supported_range_is_refused(shared_data, existing_store, rate):
    record = shared_data / "ptb_diagnostic" / "s0010_re"
    with pytest.raises(
        CommandError, match=f"s0010_re: sampling rate {rate} Hz is outside the supported 50-1000 Hz"
    ):
        run(record, "--rate", rate)
    assert store_snapshot() == existing_store


def test_record_shorter_than_10_s_is_refused(tmp_path, shared_data, existing_store):
    reference = wfdb.rdrecord(str(shared_data / "ptbxl_sample" / "00001_lr"))
    wfdb.wrsamp(
        "short", fs=100, units=reference.units, sig_name=reference.sig_name,
        p_signal=reference.p_signal[:500], fmt=["16"] * 12, adc_gain=[1000.0] * 12,
        baseline=[0] * 12, write_dir=str(tmp_path),
    )  # fmt: skip
    with pytest.raises(CommandError, match=r"short: shorter than 10 s \(5.00 s\)"):
        run(tmp_path / "short", "--rate", "500")
    assert store_snapshot() == existing_store


@pytest.mark.parametrize("origin", ["", " "])
def test_blank_origin_is_refused(shared_data, existing_store, origin):
    with pytest.raises(CommandError, match="--origin: the origin must not be empty or blank"):
        run(shared_data / "ptb_diagnostic" / "s0010_re", "--origin", origin)
    assert store_snapshot() == existing_store


def test_reimport_as_other_source_warns_and_keeps_the_stored_ecgs(shared_data):
    record = shared_data / "ptb_diagnostic" / "s0010_re"
    run(record, "--origin", "ptb")
    out, err = run_both(record, "--origin", "ptb-diagnostic", "--source", "synthetic")
    assert "0 added, 3 already stored" in out
    assert "3 already stored ECGs differ from this import in: origin (3), source (3)." in err
    assert set(ECG.objects.values_list("origin", "source")) == {("ptb", "real")}
