"""A supplied training set in a file (``generator.core.record_files``): .npy and .npz read
memory-mapped, harmonised as stored ECGs are, and bad files refused naming the problem."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest

from generator.core.harmonise import HarmonisationSpec, harmonise
from generator.core.leads import from_order
from generator.core.record_files import RecordFileError, open_record_file
from tests.shared_data import shared_data_dir

SPEC = HarmonisationSpec(sampling_rate=100.0)


@pytest.fixture(scope="module")
def real():
    """The 22 real Turing ECGs (100 Hz, 10 s, SSSD-ECG lead order)."""
    return np.load(shared_data_dir() / "sssd_ecg_turing22" / "real.npy")


def expected(real: np.ndarray, rows) -> np.ndarray:
    """What the store does with a row: standard lead order, then the study harmonisation."""
    return np.stack([harmonise(from_order(real[i], "sssd"), 100.0, SPEC) for i in rows])


def test_an_npy_file_is_memory_mapped_and_harmonised_like_the_store(real, tmp_path):
    path = tmp_path / "train.npy"
    np.save(path, real)
    records = open_record_file(path, sampling_rate=100, lead_order="sssd")
    assert isinstance(records.signals, np.memmap)
    assert records.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert records.source() == {
        "kind": "file", "path": str(path.resolve()), "sha256": records.sha256, "rows": 22,
        "sampling_rate": 100.0, "lead_order": "sssd",
    }  # fmt: skip
    assert records.ids[:2] == ["row 0", "row 1"]
    blocks = records.harmonised(SPEC, block_size=5)
    read = list(blocks.blocks())
    assert [len(b) for b in read] == [5, 5, 5, 5, 2]
    np.testing.assert_array_equal(np.concatenate(read), expected(real, range(22)))
    np.testing.assert_array_equal(blocks.take(np.array([7, 3, 7])), expected(real, [7, 3, 7]))


@pytest.mark.parametrize("compressed", [False, True])
def test_an_npz_file_gives_signals_ids_and_its_rate(real, tmp_path, compressed):
    path = tmp_path / "train.npz"
    save = np.savez_compressed if compressed else np.savez
    ids = np.array([f"patient-{i}" for i in range(22)])
    save(path, signals=real, ids=ids, sampling_rate=np.float64(100.0))
    records = open_record_file(path, lead_order="sssd")
    # An uncompressed member is mapped in place; a compressed one is read whole.
    assert isinstance(records.signals, np.memmap) is not compressed
    np.testing.assert_array_equal(np.asarray(records.signals), real)
    assert records.ids[3] == "patient-3" and records.sampling_rate == 100.0
    np.testing.assert_array_equal(records.harmonised(SPEC).take(np.array([4])), expected(real, [4]))


def _saved(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _saved_npz(array) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, signals=array)
    return buffer.getvalue()


def _nan_rows(path, real):
    with_nan = real.copy()
    with_nan[[3, 17], 2, 40] = np.nan
    np.save(path, with_nan)


LONG_IDS = np.char.zfill(np.arange(22).astype(str), 201)  # one character over the limit
HUNDRED = {"sampling_rate": 100}
BAD_FILES = [
    ("absent.npy", None, HUNDRED, "file not found"),
    ("train.csv", lambda p, r: p.write_text("1,2"), HUNDRED, "unknown extension '.csv'"),
    ("flat.npy", lambda p, r: np.save(p, r.reshape(22, -1)), HUNDRED, r"wrong shape \(22, 12000\)"),
    ("t.npy", lambda p, r: np.save(p, r.transpose(0, 2, 1)), HUNDRED, r"shape \(22, 1000, 12\)"),
    ("nan.npy", _nan_rows, HUNDRED, r"NaN/inf samples in rows \[3, 17\]"),
    ("nokey.npz", lambda p, r: np.savez(p, x=r), HUNDRED, "missing key 'signals'"),
    ("norate.npy", lambda p, r: np.save(p, r), {}, "no sampling rate"),
    ("rate.npz", lambda p, r: np.savez(p, signals=r, sampling_rate=100.0), {"sampling_rate": 500},
     "stated rate 500 Hz differs from the file's 100 Hz"),
    ("ids.npz", lambda p, r: np.savez(p, signals=r, ids=np.zeros(22, int)), HUNDRED,
     "'ids' are not unique"),
    ("long.npz", lambda p, r: np.savez(p, signals=r, ids=LONG_IDS),
     HUNDRED, "'ids' row 0 is longer than 200 characters"),
    ("text.npy", lambda p, r: np.save(p, np.full((2, 12, 1000), "a")), HUNDRED, "not real numbers"),
    ("broken.npy", lambda p, r: p.write_bytes(b"not numpy"), HUNDRED, "not a NumPy .npy file"),
    ("broken.npz", lambda p, r: p.write_bytes(b"not numpy"), HUNDRED, "not a NumPy .npz file"),
    ("cut.npz", lambda p, r: p.write_bytes(_saved_npz(r)[:-5000]), HUNDRED,
     "cut short or damaged: it begins as a zip archive"),
    ("cut.npy", lambda p, r: p.write_bytes(_saved(r)[:-5000]), HUNDRED,
     r"the file is cut short: its header describes \(22, 12, 1000\) float32"),
    ("order.npy", lambda p, r: np.save(p, r), {**HUNDRED, "lead_order": "limb-first"},
     "unknown lead order"),
]  # fmt: skip


@pytest.mark.parametrize("name,write,options,problem", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_naming_it_and_the_problem(
    real, tmp_path, name, write, options, problem
):
    path = tmp_path / name
    if write is not None:
        write(path, real)
    with pytest.raises(RecordFileError, match=problem) as caught:
        open_record_file(path, **options)
    assert str(caught.value).startswith(str(path))


def test_ecgs_shorter_than_the_window_are_refused_before_the_search(real, tmp_path):
    path = tmp_path / "short.npy"
    np.save(path, real[:, :, :500])
    records = open_record_file(path, sampling_rate=100)
    with pytest.raises(RecordFileError, match="ECGs last 5.00 s, shorter than the 10.0 s window"):
        records.harmonised(SPEC)
