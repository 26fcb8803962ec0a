"""manage.py import_array on the 22 real and 22 synthetic SSSD-ECG Turing-test ECGs."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from generator.core.leads import einthoven_error, from_order
from generator.core.scp import SCP_VOCABULARY
from generator.core.signal_codec import signal_sha256
from generator.models import ECG
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
