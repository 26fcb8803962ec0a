"""manage.py import_array on the 22 real and 22 synthetic SSSD-ECG Turing-test ECGs."""

from __future__ import annotations

import importlib
import io
import re

import numpy as np
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from generator.core.leads import einthoven_error, from_order
from generator.core.scp import SCP_VOCABULARY
from generator.core.signal_codec import signal_sha256
from generator.models import ECG
from generator.records.types import EcgRecord
from generator.services import ecg_import
from tests.generator.conftest import store_snapshot

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_array", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def import_turing(folder, name, source):
    return run(
        folder / f"{name}.npy",
        "--lead-order", "sssd", "--rate", "100", "--origin", f"sssd-turing22-{name}",
        "--source", source, "--labels", folder / "trials.csv",
    )  # fmt: skip


def test_both_turing_sets_import_with_matching_labels(shared_data):
    folder = shared_data / "sssd_ecg_turing22"
    assert "22 added" in import_turing(folder, "real", "real")
    assert "22 added" in import_turing(folder, "synthetic", "synthetic")
    real = list(ECG.objects.real().order_by("id"))
    synthetic = list(ECG.objects.synthetic().order_by("id"))
    assert [e.label_set for e in real] == [e.label_set for e in synthetic]
    assert real[2].label_set == "ABQRS_IMI_SR" and real[2].superclasses == ["MI"]
    raw = np.load(folder / "synthetic.npy")
    for index in (0, 21):
        stored = synthetic[index].signal()
        np.testing.assert_array_equal(stored, from_order(raw[index], "sssd"))
        assert synthetic[index].signal_sha256 == signal_sha256(stored)
        assert einthoven_error(stored.astype(np.float64)) < 1e-4


def test_rerun_adds_nothing(shared_data):
    folder = shared_data / "sssd_ecg_turing22"
    import_turing(folder, "real", "real")
    assert "0 added, 22 already stored" in import_turing(folder, "real", "real")
    assert ECG.objects.count() == 22


def test_multi_hot_labels_in_sssd_order(tmp_path, shared_data):
    signals = np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")[:3]
    np.save(tmp_path / "x.npy", signals)
    labels = np.zeros((3, 71), dtype=np.int8)
    labels[0, SCP_VOCABULARY.index("NORM")] = 1
    labels[1, [SCP_VOCABULARY.index("AFIB"), SCP_VOCABULARY.index("LVH")]] = 1
    np.save(tmp_path / "y.npy", labels)
    run(tmp_path / "x.npy", "--lead-order", "sssd", "--rate", "100", "--origin", "set",
        "--labels", tmp_path / "y.npy")  # fmt: skip
    assert list(ECG.objects.values_list("label_set", flat=True)) == ["NORM", "AFIB_LVH", ""]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda x: x[:, :11], "wrong lead count in shape (3, 11, 1000)"),
        (lambda x: x[0], "wrong shape (12, 1000)"),
        (lambda x: np.where(np.arange(1000) == 5, np.nan, x), "NaN/inf samples in rows [0, 1, 2]"),
        (lambda x: np.where(np.arange(1000) == 5, np.inf, x)[:1], "NaN/inf samples in rows [0]"),
    ],
)
def test_bad_arrays_are_refused_and_nothing_is_stored(
    tmp_path, shared_data, make, message, existing_store
):
    signals = np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")[:3]
    np.save(tmp_path / "bad.npy", make(signals))
    with pytest.raises(CommandError, match=re.escape(f"bad.npy: {message}")):
        run(tmp_path / "bad.npy", "--lead-order", "sssd", "--rate", "100", "--origin", "bad")
    assert store_snapshot() == existing_store


def test_label_file_that_does_not_match_is_refused(tmp_path, shared_data, existing_store):
    signals = np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")[:3]
    np.save(tmp_path / "x.npy", signals)
    np.save(tmp_path / "y.npy", np.zeros((2, 71)))
    with pytest.raises(CommandError, match="2 label rows for 3 signals"):
        run(tmp_path / "x.npy", "--lead-order", "sssd", "--rate", "100", "--origin", "s",
            "--labels", tmp_path / "y.npy")  # fmt: skip
    (tmp_path / "x.txt").write_text("not an array")
    with pytest.raises(CommandError, match=r"x.txt: expected a .npy or .npz file"):
        run(tmp_path / "x.txt", "--lead-order", "sssd", "--rate", "100", "--origin", "s")
    assert store_snapshot() == existing_store


def test_npz_with_time_last_axis_order_is_accepted(tmp_path, shared_data):
    signals = np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")[:2]
    np.savez_compressed(tmp_path / "set.npz", signals=signals.transpose(0, 2, 1))
    run(tmp_path / "set.npz", "--lead-order", "sssd", "--rate", "100", "--origin", "npz")
    np.testing.assert_array_equal(ECG.objects.first().signal(), from_order(signals[0], "sssd"))


def run_both(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_array", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, signals=np.zeros((1, 12, 1000)))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "write", "message"),
    [
        ("csv.npy", lambda p: p.write_text("0.1,0.2\n"), "csv.npy: not a NumPy .npy file"),
        ("torch.npz", lambda p: p.write_bytes(b"\x80\x02}q\x00."), "torch.npz: not a NumPy .npz"),
        ("empty.npy", lambda p: p.write_bytes(b""), "empty.npy: the file is empty"),
        ("cut.npz", lambda p: p.write_bytes(_npz_bytes()[:-300]), "cut.npz: the file is cut short"),
        ("keys.npz", lambda p: np.savez(p, ecg=np.zeros((1, 12, 1000))),
         "keys.npz: no signal array among ['ecg']"),
    ],
)  # fmt: skip
def test_files_not_in_numpy_format_are_named_as_such(
    tmp_path, existing_store, name, write, message
):
    path = tmp_path / name
    write(path)
    with pytest.raises(CommandError, match=re.escape(message)) as refused:
        run(path, "--lead-order", "standard", "--rate", "100", "--origin", "s")
    assert "pickled" not in str(refused.value) and "unreadable" not in str(refused.value)
    assert store_snapshot() == existing_store


def test_a_label_array_not_in_numpy_format_is_named_as_such(tmp_path, shared_data):
    signals = np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")[:3]
    np.save(tmp_path / "x.npy", signals)
    (tmp_path / "y.npy").write_text("NORM\nAFIB\nLVH\n")
    with pytest.raises(CommandError, match=r"y.npy: label array: not a NumPy .npy file"):
        run(tmp_path / "x.npy", "--lead-order", "sssd", "--rate", "100", "--origin", "s",
            "--labels", tmp_path / "y.npy")  # fmt: skip


@pytest.mark.parametrize(
    ("samples", "rate", "message"),
    [
        (50, "100", "shorter than 10 s (0.50 s)"),
        (1000, "100000", "sampling rate 100000 Hz is outside the supported 50-1000 Hz"),
        (1000, "10", "sampling rate 10 Hz is outside the supported 50-1000 Hz"),
        (1000, "0", "sampling rate 0 Hz is outside the supported 50-1000 Hz"),
    ],
)
def test_short_rows_and_unsupported_rates_are_refused(
    tmp_path, shared_data, existing_store, samples, rate, message
):
    signals = np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")[:3, :, :samples]
    np.save(tmp_path / "x.npy", signals)
    with pytest.raises(CommandError, match=re.escape(f"x.npy: {message}")):
        run(tmp_path / "x.npy", "--lead-order", "sssd", "--rate", rate, "--origin", "x")
    assert store_snapshot() == existing_store


@pytest.mark.parametrize("origin", ["", "   "])
def test_blank_origin_is_refused(tmp_path, shared_data, existing_store, origin):
    np.save(tmp_path / "x.npy", np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")[:1])
    with pytest.raises(CommandError, match="--origin: the origin must not be empty or blank"):
        run(tmp_path / "x.npy", "--lead-order", "sssd", "--rate", "100", "--origin", origin)
    assert store_snapshot() == existing_store


@pytest.fixture
def long_rows(tmp_path, shared_data):
    """Three 50 s rows at 100 Hz (10 s at 500 Hz), so either rate makes usable ECGs."""
    signals = np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")[:3]
    np.save(tmp_path / "ok3.npy", np.tile(signals, (1, 1, 5)))
    labels = np.zeros((3, 71), dtype=np.int8)
    labels[:, SCP_VOCABULARY.index("NORM")] = 1
    np.save(tmp_path / "y.npy", labels)
    return tmp_path


@pytest.mark.parametrize(
    ("changed", "differences"),
    [
        (("--rate", "500"), "sampling_rate (3)"),
        (("--lead-order", "standard"), "provenance (3), signal_sha256 (3)"),
        (("--labels", "y.npy"), "scp_codes (3)"),
    ],
)
def test_reimport_with_other_parameters_warns_and_keeps_the_stored_ecgs(
    long_rows, changed, differences
):
    base = {"--lead-order": "sssd", "--rate": "100", "--origin": "idem"}
    first = [long_rows / "ok3.npy", *[x for pair in base.items() for x in pair]]
    run(*first)
    stored = sorted(ECG.objects.values_list("sampling_rate", "signal_sha256", "label_set"))
    assert "warning" not in run_both(*first)[1]  # the same import again: nothing to report
    option, value = changed
    again = {**base, option: long_rows / value if option == "--labels" else value}
    out, err = run_both(long_rows / "ok3.npy", *[x for pair in again.items() for x in pair])
    assert "0 added, 3 already stored" in out
    assert f"3 already stored ECGs differ from this import in: {differences}." in err
    assert sorted(ECG.objects.values_list("sampling_rate", "signal_sha256", "label_set")) == stored


def test_implausible_amplitude_is_flagged_not_refused(tmp_path, shared_data):
    signals = np.load(shared_data / "sssd_ecg_turing22" / "synthetic.npy")[:2].copy()
    signals[1, 0, 500] = -12.5
    np.save(tmp_path / "x.npy", signals)
    out, err = run_both(tmp_path / "x.npy", "--lead-order", "sssd", "--rate", "100",
                        "--origin", "amp")  # fmt: skip
    assert "2 added" in out
    assert "1 added ECGs peak above 10 mV" in err and ":1 (12.5 mV)" in err
    flags = [e.provenance.get("implausible_peak_mv") for e in ECG.objects.order_by("id")]
    assert flags == [None, 12.5]
    out, err = run_both(tmp_path / "x.npy", "--lead-order", "sssd", "--rate", "100",
                        "--origin", "amp")  # fmt: skip
    assert "0 added, 2 already stored" in out and "warning" not in err  # flag and all alike


def test_ecgs_stored_before_imports_flagged_amplitudes_are_flagged_by_the_migration(
    shared_data,
):
    migration = importlib.import_module("generator.migrations.0008_flag_implausible_amplitudes")
    signals = np.load(shared_data / "sssd_ecg_turing22" / "real.npy")[:3].astype(np.float32)
    signals[0, 3, 200] = 11.0
    signals[2, 7, 900] = -10.25
    ecg_import(records=[
        EcgRecord(f"old:{i}", signal, 100.0, "real", "old", provenance={"file": "old.npy"})
        for i, signal in enumerate(signals)
    ])  # fmt: skip
    ECG.objects.update(provenance={"file": "old.npy"})  # as an import before the flag stored it
    migration.flag_stored_ecgs(apps, None)
    provenance = [e.provenance for e in ECG.objects.order_by("source_key")]
    assert provenance == [
        {"file": "old.npy", "implausible_peak_mv": 11.0},
        {"file": "old.npy"},
        {"file": "old.npy", "implausible_peak_mv": 10.25},
    ]
