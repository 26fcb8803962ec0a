"""The privacy screen service and ``manage.py screen_pool`` on the real Turing ECGs
stored with PTB-XL-like folds: a copying generator, the published SSSD-ECG samples, a
training set supplied as a file, a training set read in blocks, and the Celery job."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import CommandError, call_command
from django.db import transaction
from statsmodels.stats.proportion import proportion_confint

from config.celery import app
from generator.models import PrivacyScreen, ScreenedECG
from generator.privacy import PrivacyScreenError, flagged_copy_ids, privacy_screen
from tests.factories import stored_sssd_row as store
from tests.generator.test_celery_worker import _wait_for, broker_url  # noqa: F401 (a fixture)


@pytest.fixture
def screened_store(db, shared_data):
    """Real rows 0-15 in training folds 1-8 (two per fold), rows 16-21 held out in fold
    10; synthetic pools: a copying generator (training rows + 1 µV noise) and the 22
    published SSSD-ECG samples."""
    folder = shared_data / "sssd_ecg_turing22"
    real, synthetic = np.load(folder / "real.npy"), np.load(folder / "synthetic.npy")
    training = [
        store(real[i], f"real:{i}", "real", "ptbxl", strat_fold=1 + i // 2) for i in range(16)
    ]
    for i in range(16, 22):
        store(real[i], f"real:{i}", "real", "ptbxl", strat_fold=10)
    noise = np.random.default_rng(5).normal(0, 0.001, real.shape)  # 1 µV
    copies = [store(real[i] + noise[i], f"copy:{i}", "synthetic", "copycat")
              for i in range(16)]  # fmt: skip
    for i in range(22):
        store(synthetic[i], f"sssd:{i}", "synthetic", "sssd-ecg")
    return dict(zip([c.pk for c in copies], [t.pk for t in training], strict=True))


def test_screen_pool_flags_every_ecg_of_a_copying_generator(screened_store):
    out = io.StringIO()
    call_command(
        "screen_pool", "--synthetic-origin", "copycat", "--training-folds", "1-8",
        "--reference-folds", "10", "--min-reference", "6", stdout=out,
    )  # fmt: skip
    screen = PrivacyScreen.objects.get()
    assert "flagged as likely copies: 16" in out.getvalue()
    assert "membership-inference AUC: 1.000 (95% CI 1.000-1.000, DeLong" in out.getvalue()
    assert "training set: ptbxl folds 1, 2, 3, 4, 5, 6, 7, 8" in out.getvalue()
    assert screen.training_folds == list(range(1, 9)) and screen.reference_folds == [10]
    assert screen.summary["n_training"] == 16 and screen.summary["n_reference"] == 6
    assert screen.training_source == {
        "kind": "store",
        "origin": "ptbxl",
        "folds": list(range(1, 9)),
    }
    assert screen.reference_source == {"kind": "store", "origin": "ptbxl", "folds": [10]}
    results = list(screen.results.all())
    assert len(results) == 16 and all(r.flagged for r in results)
    assert {r.ecg_id: r.nearest_id for r in results} == screened_store
    # Harmonisation dithers to 10 µV, so a copy is not at 0, but far below the threshold.
    assert max(r.dcr for r in results) < 0.1 < screen.copy_threshold
    assert all(len(r.lead_distances) == 12 and r.shift_ms == 0 for r in results)
    assert flagged_copy_ids(list(screened_store)) == set(screened_store)


def test_the_published_sssd_samples_get_sensible_dcrs(screened_store):
    screen = privacy_screen(
        synthetic_origin="sssd-ecg",
        training_folds=range(1, 9),
        reference_folds=[10],
        min_reference=6,
    )
    s = screen.summary
    dcrs = np.array(screen.results.values_list("dcr", flat=True))
    assert len(dcrs) == 22 and dcrs.min() > 0.9 and dcrs.max() < 1.5  # none is a copy
    assert abs(s["dcr_median"] - s["reference_dcr_median"]) < 0.2
    assert s["flagged"] <= 3
    # The stored share and its interval follow from the stored DCRs and threshold.
    below = int(np.sum(dcrs < screen.share_threshold))
    assert s["share_below_p5"] == below / 22
    assert s["share_below_p5_ci"] == pytest.approx(
        list(proportion_confint(below, 22, alpha=0.05, method="wilson")), abs=1e-12
    )


def test_a_later_screen_decides_whether_an_ecg_is_flagged(screened_store):
    first = privacy_screen(synthetic_origin="copycat", reference_folds=[10], min_reference=1)
    assert first.training_folds == list(range(1, 9))  # all folds but the reference ones
    ScreenedECG.objects.filter(screen=first).update(flagged=True)
    # Screened against folds 7-8 only, most copies have no training record to copy.
    privacy_screen(
        synthetic_origin="copycat", training_folds=[7, 8], reference_folds=[10], min_reference=1
    )
    assert len(flagged_copy_ids(list(screened_store))) == 4


def test_bad_requests_are_refused_clearly(screened_store):
    with pytest.raises(PrivacyScreenError, match="no synthetic ECGs"):
        privacy_screen(synthetic_origin="nobody", reference_folds=[10], min_reference=1)
    with pytest.raises(PrivacyScreenError, match=r"folds \[8\] are both"):
        privacy_screen(
            synthetic_origin="copycat", training_folds=[8], reference_folds=[8], min_reference=1
        )
    with pytest.raises(CommandError, match="PTB-XL folds are 1 to 10"):
        call_command("screen_pool", "--synthetic-origin", "copycat", "--reference-folds", "11")
    with pytest.raises(CommandError, match="expected folds like"):
        call_command("screen_pool", "--synthetic-origin", "copycat", "--reference-folds", "x")
    assert not PrivacyScreen.objects.exists()


def training_file(shared_data, tmp_path, **extra) -> tuple:
    """Real rows 0-15 (the stored training folds) as an .npz in SSSD-ECG lead order."""
    real = np.load(shared_data / "sssd_ecg_turing22" / "real.npy")
    path = tmp_path / "training.npz"
    ids = np.array([f"ptbxl-{1000 + i}" for i in range(16)])
    np.savez(path, signals=real[:16], ids=ids, sampling_rate=100.0, **extra)
    return path, ids


def test_a_supplied_training_file_screens_as_the_stored_training_folds(
    screened_store, shared_data, tmp_path
):
    """The file holds the same ECGs as folds 1-8 and is harmonised as the store's ECGs are,
    so every DCR, flag and nearest record agrees; the screen names the file and its hash."""
    path, ids = training_file(shared_data, tmp_path)
    out = io.StringIO()
    call_command(
        "screen_pool", "--synthetic-origin", "copycat", "--training-file", str(path),
        "--lead-order", "sssd", "--reference-folds", "10", "--min-reference", "6", stdout=out,
    )  # fmt: skip
    from_file = PrivacyScreen.objects.get()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert from_file.training_source == {
        "kind": "file", "path": str(path.resolve()), "sha256": digest, "rows": 16,
        "sampling_rate": 100.0, "lead_order": "sssd",
    }  # fmt: skip
    assert from_file.training_folds == [] and from_file.reference_folds == [10]
    assert f"training set: file {path.resolve()} (SHA-256 {digest}; 16 rows" in out.getvalue()
    stored = privacy_screen(
        synthetic_origin="copycat", training_folds=range(1, 9), reference_folds=[10],
        min_reference=6,
    )  # fmt: skip
    by_file = {r.ecg_id: r for r in from_file.results.all()}
    by_store = {r.ecg_id: r for r in stored.results.all()}
    rows = {pk: i for i, pk in enumerate(screened_store.values())}  # training id -> file row
    for ecg_id, result in by_store.items():
        other = by_file[ecg_id]
        assert other.nearest_id is None and other.nearest_key == ids[rows[result.nearest_id]]
        assert other.dcr == pytest.approx(result.dcr, abs=1e-12)
        assert other.lead_distances == result.lead_distances and other.flagged == result.flagged
    assert from_file.summary["mia_auc"] == stored.summary["mia_auc"]
    assert from_file.summary["mia_auc_ci"] == stored.summary["mia_auc_ci"]
    assert flagged_copy_ids(list(screened_store)) == set(screened_store)


def test_a_reference_file_stands_for_held_out_folds(screened_store, shared_data, tmp_path):
    real = np.load(shared_data / "sssd_ecg_turing22" / "real.npy")
    path = tmp_path / "reference.npy"
    np.save(path, real[16:])
    screen = privacy_screen(
        synthetic_origin="sssd-ecg", training_folds=range(1, 9), reference_file=str(path),
        file_sampling_rate=100.0, file_lead_order="sssd", min_reference=6,
    )  # fmt: skip
    stored = privacy_screen(
        synthetic_origin="sssd-ecg", training_folds=range(1, 9), reference_folds=[10],
        min_reference=6,
    )  # fmt: skip
    assert screen.reference_source["kind"] == "file" and screen.reference_source["rows"] == 6
    assert screen.copy_threshold == pytest.approx(stored.copy_threshold, abs=1e-12)
    assert screen.summary["mia_auc_ci"] == stored.summary["mia_auc_ci"]


def test_bad_training_files_are_refused_with_a_clear_command_error(
    screened_store, shared_data, tmp_path
):
    nan_path = tmp_path / "nan.npy"
    signals = np.load(shared_data / "sssd_ecg_turing22" / "real.npy")[:16]
    signals[5, 0, 10] = np.nan
    np.save(nan_path, signals)
    text = tmp_path / "training.txt"
    text.write_text("not an array")
    no_key = tmp_path / "nokey.npz"
    np.savez(no_key, x=signals)
    base = ("screen_pool", "--synthetic-origin", "copycat", "--reference-folds", "10",
            "--min-reference", "6", "--sampling-rate", "100")  # fmt: skip
    for path, problem in [
        (nan_path, r"nan.npy: NaN/inf samples in rows \[5\]"),
        (text, "training.txt: unknown extension '.txt'"),
        (no_key, "nokey.npz: missing key 'signals'"),
        (tmp_path / "absent.npy", "absent.npy: file not found"),
    ]:
        with pytest.raises(CommandError, match=problem):
            call_command(*base, "--training-file", str(path))
    with pytest.raises(CommandError, match="as folds or as a file, not both"):
        call_command(*base, "--training-file", str(nan_path), "--training-folds", "1-8")
    assert not PrivacyScreen.objects.exists()


def test_the_stored_training_set_read_in_small_blocks_gives_the_same_screen(screened_store):
    whole = privacy_screen(synthetic_origin="sssd-ecg", reference_folds=[10], min_reference=6)
    blocked = privacy_screen(
        synthetic_origin="sssd-ecg", reference_folds=[10], min_reference=6, block_size=3
    )
    pairs = zip(whole.results.order_by("ecg_id"), blocked.results.order_by("ecg_id"), strict=True)
    for a, b in pairs:
        assert (a.ecg_id, a.nearest_id, a.shift_ms, a.flagged) == (
            b.ecg_id, b.nearest_id, b.shift_ms, b.flagged
        )  # fmt: skip
        assert a.dcr == pytest.approx(b.dcr, abs=1e-12)
    assert blocked.copy_threshold == pytest.approx(whole.copy_threshold, abs=1e-12)
    assert blocked.summary["mia_auc"] == whole.summary["mia_auc"]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("broker_url")
def test_a_real_worker_runs_a_screen_queued_by_the_command(screened_store, shared_data, tmp_path):
    """``screen_pool --queue`` sends the job through Redis once the transaction commits; a
    Celery worker on the gpu queue runs it into PostgreSQL (a training file, as a shared
    volume would hold it)."""
    assert not app.conf.task_always_eager
    assert app.amqp.router.route({}, "generator.tasks.screen_pool")["queue"].name == "gpu"
    path, ids = training_file(shared_data, tmp_path)
    out = io.StringIO()
    with start_worker(
        app, queues=["gpu"], pool="solo", perform_ping_check=False, shutdown_timeout=30
    ):
        with transaction.atomic():
            call_command(
                "screen_pool", "--synthetic-origin", "copycat", "--training-file", str(path),
                "--lead-order", "sssd", "--reference-folds", "10", "--min-reference", "6",
                "--queue", stdout=out,
            )  # fmt: skip
        assert "queued the privacy screen on the gpu queue" in out.getvalue()
        _wait_for(lambda: PrivacyScreen.objects.exists(), 180)
    screen = PrivacyScreen.objects.get()
    assert screen.summary["flagged"] == 16 and screen.training_source["path"] == str(path)
    results = {r.ecg_id: r.nearest_key for r in screen.results.all()}
    assert results == dict(zip(screened_store, ids, strict=True))


def test_a_request_that_cannot_run_is_refused_before_it_is_queued(
    screened_store, settings, tmp_path, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as with a broker; nothing may be sent
    with pytest.raises(CommandError, match="name the held-out reference folds"):
        call_command("screen_pool", "--synthetic-origin", "copycat", "--queue")
    with pytest.raises(CommandError, match="absent.npz: file not found"):
        call_command(
            "screen_pool", "--synthetic-origin", "copycat", "--reference-folds", "10",
            "--training-file", "absent.npz", "--queue",
        )  # fmt: skip
    np.save(tmp_path / "rateless.npy", np.zeros((2, 12, 1000), np.float32))
    monkeypatch.chdir(tmp_path)  # a relative path is named as the absolute path it means
    with pytest.raises(CommandError, match=f"{tmp_path}/rateless.npy: a .npy file records no"):
        call_command(
            "screen_pool", "--synthetic-origin", "copycat", "--reference-folds", "10",
            "--training-file", "rateless.npy", "--queue",
        )  # fmt: skip
