"""``manage.py evaluate_realism``, its Celery task and the stored results, on the real
Turing ECGs stored with PTB-XL-like folds (even rows in folds 1-8, odd rows in fold 10)
and the 22 published SSSD-ECG samples as one generator's pool, with a tiny network."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import torch
from celery.contrib.testing.worker import start_worker
from django.core.management import CommandError, call_command

from config.celery import app
from generator.core.checkpoint import checkpoint_sha256
from generator.core.classifier import load_classifier
from generator.core.config import GeneratorConfig
from generator.core.labels import encode_label_sets
from generator.core.scp import SUPERCLASSES, split_label_key
from generator.core.training import EcgDataset, TrainingOptions, train
from generator.models import ECG, RealismEvaluation
from generator.tasks import evaluate_realism
from tests.factories import stored_sssd_row as store
from tests.generator.checkpoints import tiny_checkpoint
from tests.generator.test_celery_worker import broker_url  # noqa: F401  (fixture)

CHECKPOINT = "ab" * 32
TINY = ("--epochs", "2", "--width", "8", "--min-per-class", "1", "--device", "cpu")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Two shared cores: the tiny network is many times faster on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def turing_folds(db, shared_data):
    folder = shared_data / "sssd_ecg_turing22"
    with open(folder / "trials.csv", newline="") as handle:
        codes = [split_label_key(row["scp_codes"]) for row in csv.DictReader(handle)]
    real, synthetic = np.load(folder / "real.npy"), np.load(folder / "synthetic.npy")
    for i in range(22):
        fold = 1 + (i // 2) % 8 if i % 2 == 0 else 10
        store(real[i], f"real:{i}", "real", "ptbxl", codes=codes[i], strat_fold=fold)
        store(synthetic[i], f"sssd:{i}", "synthetic", "sssd-ecg", codes=codes[i],
              generator_name="SSSD-ECG", checkpoint_sha256=CHECKPOINT)  # fmt: skip


def run(*args: str, stderr: io.StringIO | None = None) -> str:
    out = io.StringIO()
    call_command("evaluate_realism", *args, stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


def trained_on_store_folds(folder, folds, description=None) -> str:
    """A tiny generator trained (one step) on the stored real ECGs of ``folds``, read as
    ``generator.core.train`` reads PTB-XL (``description``: what its checkpoint records
    about them; none by default, as in checkpoints written before it was recorded)."""
    config = GeneratorConfig.tiny(label_variant="nle")
    vocabulary = config.model.label_vocabulary
    rows = ECG.objects.real().filter(strat_fold__in=folds).order_by("dataset_ecg_id", "id")
    signals = np.stack([ecg.signal()[:, :1000] for ecg in rows])
    labels = encode_label_sets([[c for c in e.scp_codes if c in vocabulary] for e in rows],
                               vocabulary)  # fmt: skip
    options = TrainingOptions(steps=1, batch_size=2, out_dir=folder, device="cpu",
                              progress_bar=False)  # fmt: skip
    dataset = EcgDataset(signals, labels, description=description or {})
    (path,) = train(dataset, config=config, options=options).checkpoints
    return str(path)


def sampled_from(path: str) -> None:
    ECG.objects.filter(origin="sssd-ecg").update(checkpoint_sha256=checkpoint_sha256(path))


def test_evaluate_realism_stores_tstr_trts_trtr_per_generator(turing_folds, tmp_path):
    # ECGs with no diagnostic superclass (a rhythm statement only) are left out, as in
    # the PTB-XL benchmark: the counts below do not include them.
    flat = np.zeros((12, 1000), dtype=np.float32)
    store(flat, "real:rhythm-only", "real", "ptbxl", codes=["SR"], strat_fold=10)
    store(flat, "sssd:rhythm-only", "synthetic", "sssd-ecg", codes=["SR"],
          generator_name="SSSD-ECG", checkpoint_sha256=CHECKPOINT)  # fmt: skip
    out = run("--generator", "sssd-ecg", "--train-folds", "1-8", "--test-folds", "10",
              "--seed", "3", "--out", str(tmp_path), *TINY)  # fmt: skip
    evaluation = RealismEvaluation.objects.get()
    assert f"realism evaluation {evaluation.pk} of SSSD-ECG" in out
    # One of the 22 published pairs (its real ECG in a training fold) has no
    # diagnostic superclass either: 21 synthetic and 10 + 11 real ECGs take part.
    assert "TSTR: macro AUC" in out and "(train 21, test 11 ECGs)" in out
    assert evaluation.generator_name == "SSSD-ECG" and evaluation.checkpoint_sha256 == CHECKPOINT
    assert (evaluation.train_folds, evaluation.test_folds) == (list(range(1, 9)), [10])
    fit = evaluation.settings["fit"]
    assert (fit["epochs"], fit["seed"], fit["device"]) == (2, 3, "cpu")
    assert evaluation.settings["classifier"]["width"] == 8
    metrics = evaluation.metrics
    assert (metrics["trts"]["n_train"], metrics["trts"]["n_test"]) == (10, 21)
    assert set(metrics["tstr"]["per_class"]) == set(SUPERCLASSES)
    assert evaluation.tstr_auc == metrics["tstr"]["macro"]["auc"]
    assert f"TSTR: macro AUC {evaluation.tstr_auc:.3f}" in out
    for kind in ("synthetic", "real"):
        saved = evaluation.classifier_files[kind]
        model, meta = load_classifier(saved["path"])
        assert meta == {"evaluation": evaluation.pk, "trained_on": kind}
        assert model.config.width == 8 and len(saved["sha256"]) == 64


def test_the_celery_task_is_registered_and_runs_the_same_evaluation(turing_folds):
    assert "generator.tasks.evaluate_realism" in app.tasks
    options = {"synthetic_origin": "sssd-ecg", "epochs": 2, "width": 8, "min_per_class": 1,
               "device": "cpu"}  # fmt: skip
    pk = evaluate_realism.apply(args=[options]).get()
    again = evaluate_realism(options)  # the same seed gives the same numbers
    first, second = RealismEvaluation.objects.get(pk=pk), RealismEvaluation.objects.get(pk=again)
    assert first.metrics == second.metrics and first.synthetic_origin == "sssd-ecg"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("broker_url")  # Redis reachable, else skipped; stale messages purged
def test_a_real_worker_runs_the_queued_evaluation_and_stores_it(turing_folds):
    assert not app.conf.task_always_eager
    with start_worker(app, queues=["gpu"], pool="solo", perform_ping_check=False,
                      shutdown_timeout=30):  # fmt: skip
        out = run("--generator", "sssd-ecg", "--queue", "--seed", "5", *TINY)
        assert out.startswith("queued realism evaluation (task ") and "gpu queue" in out
        task_id = out.split("(task ")[1].split(")")[0]
        pk = app.AsyncResult(task_id).get(timeout=240)
    queued = RealismEvaluation.objects.get(pk=pk)
    assert (queued.synthetic_origin, queued.generator_name) == ("sssd-ecg", "SSSD-ECG")
    assert (queued.train_folds, queued.test_folds) == (list(range(1, 9)), [10])
    assert queued.settings["fit"]["seed"] == 5 and queued.settings["classifier"]["width"] == 8
    assert queued.generator_training["folds"] is None  # no checkpoint: unknown, with a warning
    assert "training folds are unknown" in queued.generator_training["warning"]
    # The worker computed what this process computes for the same request.
    here = RealismEvaluation.objects.get(pk=evaluate_realism(queued_options(queued)))
    assert queued.metrics == here.metrics
    assert (queued.metrics["tstr"]["n_train"], queued.metrics["tstr"]["n_test"]) == (21, 11)


def queued_options(evaluation: RealismEvaluation) -> dict:
    fit = evaluation.settings["fit"]
    return {"synthetic_origin": evaluation.synthetic_origin, "seed": fit["seed"],
            "epochs": fit["epochs"], "width": evaluation.settings["classifier"]["width"],
            "min_per_class": evaluation.settings["min_per_class"], "device": "cpu"}  # fmt: skip


def test_queue_without_a_broker_runs_here(turing_folds, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    out = run("--generator", "sssd-ecg", "--queue", *TINY)
    assert out.startswith("no Celery broker is configured") and "TSTR: macro AUC" in out
    assert RealismEvaluation.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--generator", "nope", *TINY), "no synthetic ECGs of nope with a diagnostic superclass"),
        (("--generator", "sssd-ecg", "--test-folds", "8", *TINY),
         r"folds \[8\] are both training and test folds"),
        (("--generator", "sssd-ecg", "--epochs", "2", "--width", "8", "--device", "cpu"),
         "real ptbxl ECGs of folds 1,2,3,4,5,6,7,8: too few ECGs for class STTC: 1 with it"),
        (("--generator", "sssd-ecg", "--test-folds", "11", *TINY), "PTB-XL folds are 1 to 10"),
        (("--generator", "sssd-ecg", *TINY, "--width", "0"), "has an empty dimension"),
        (("--generator", "sssd-ecg", *TINY, "--min-per-class", "0"), "min_per_class must be"),
        (("--generator", "sssd-ecg", *TINY, "--device", "gpu"), "unknown device 'gpu'"),
    ],
)  # fmt: skip
def test_bad_requests_are_clear_command_errors(turing_folds, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not RealismEvaluation.objects.exists()


def test_a_generator_trained_on_a_test_fold_is_refused(turing_folds, tmp_path):
    checkpoint = trained_on_store_folds(tmp_path, range(1, 9))
    sampled_from(checkpoint)
    with pytest.raises(CommandError, match=r"trained on folds 1,2,3,4,5,6,7,8, which include "
                       r"the real test fold\(s\) 7,8"):  # fmt: skip
        run("--generator", "sssd-ecg", "--checkpoint", checkpoint, "--train-folds", "1-6",
            "--test-folds", "7-8", *TINY)  # fmt: skip
    assert not RealismEvaluation.objects.exists()


def test_the_checkpoints_fingerprint_names_its_folds_and_they_are_stored(turing_folds, tmp_path):
    checkpoint = trained_on_store_folds(tmp_path, range(1, 9))
    sampled_from(checkpoint)
    errors = io.StringIO()
    out = run("--generator", "sssd-ecg", "--checkpoint", checkpoint, *TINY, stderr=errors)
    training = RealismEvaluation.objects.get().generator_training
    assert training["folds"] == list(range(1, 9))
    assert training["source"] == "checkpoint data fingerprint"
    assert training["checkpoint_format"] == "native" and training["warning"] == ""
    assert training["test_overlap_allowed"] == []
    assert "generator training folds: 1,2,3,4,5,6,7,8 (checkpoint data fingerprint)" in out
    assert errors.getvalue() == ""


def test_the_training_folds_a_checkpoint_records_are_taken_first(turing_folds, tmp_path):
    recorded = {"dataset": "PTB-XL", "folds": [1, 2, 3, 4, 5, 6, 7, 8], "limit": 20}
    # trained on fold 10's ECGs, so only the record (not the fingerprint) can name 1-8
    checkpoint = trained_on_store_folds(tmp_path, [10], description=recorded)
    sampled_from(checkpoint)
    with pytest.raises(CommandError, match=r"trained on folds 1,2,3,4,5,6,7,8, which include"):
        run("--generator", "sssd-ecg", "--checkpoint", checkpoint, "--train-folds", "1-6",
            "--test-folds", "7-8", *TINY)  # fmt: skip
    run("--generator", "sssd-ecg", "--checkpoint", checkpoint, *TINY)
    training = RealismEvaluation.objects.get().generator_training
    assert (training["folds"], training["source"]) == (
        list(range(1, 9)),
        "checkpoint training record",
    )
    assert training["warning"] == ""


def test_a_fingerprint_of_other_folds_leaves_them_unknown_with_a_warning(turing_folds, tmp_path):
    checkpoint = trained_on_store_folds(tmp_path, [10])  # not the folds train_generator uses
    sampled_from(checkpoint)
    errors = io.StringIO()
    out = run("--generator", "sssd-ecg", "--checkpoint", checkpoint, *TINY, stderr=errors)
    training = RealismEvaluation.objects.get().generator_training
    assert training["folds"] is None and training["source"] == "unknown"
    assert "is not that of the store's real ECGs of folds 1,2,3,4,5,6,7,8" in training["warning"]
    assert errors.getvalue().startswith("warning: the generator's training folds are unknown")
    assert "generator training folds: unknown" in out


def test_without_a_checkpoint_the_folds_are_unknown_and_the_output_warns(turing_folds):
    errors = io.StringIO()
    run("--generator", "sssd-ecg", *TINY, stderr=errors)
    training = RealismEvaluation.objects.get().generator_training
    assert training["folds"] is None
    assert "no checkpoint file of the pool was given" in training["warning"]
    assert "training folds are unknown" in errors.getvalue()


def test_a_checkpoint_without_a_fingerprint_takes_stated_folds(turing_folds, tmp_path):
    checkpoint = str(tiny_checkpoint(tmp_path / "tiny.pt"))  # records no data fingerprint
    sampled_from(checkpoint)
    with pytest.raises(CommandError, match=r"trained on folds 9,10, which include"):
        run("--generator", "sssd-ecg", "--checkpoint", checkpoint,
            "--generator-train-folds", "9-10", *TINY)  # fmt: skip
    allow = ("--generator-train-folds", "9-10", "--allow-generator-test-overlap")
    out = run("--generator", "sssd-ecg", "--checkpoint", checkpoint, *allow, *TINY)
    training = RealismEvaluation.objects.get().generator_training
    assert (training["folds"], training["source"]) == ([9, 10], "stated")
    assert training["test_overlap_allowed"] == [10]
    assert "overlaps test folds 10 (allowed explicitly)" in out
    # the caveat the report and dashboard print beside the figures
    assert "trained on test fold(s) 10 (overlap allowed)" in training["warning"]


def test_a_checkpoint_that_did_not_generate_the_pool_is_refused(turing_folds, tmp_path):
    checkpoint = str(tiny_checkpoint(tmp_path / "tiny.pt"))
    with pytest.raises(
        CommandError, match=r"did not generate this pool: its ECGs name abababababab"
    ):
        run("--generator", "sssd-ecg", "--checkpoint", checkpoint, *TINY)


def test_a_request_that_cannot_run_is_refused_before_it_is_queued(turing_folds, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # --queue would send it to a worker
    with pytest.raises(CommandError, match=r"trained on folds 9,10, which include the real"):
        run("--generator", "sssd-ecg", "--queue", "--generator-train-folds", "9-10", *TINY)
    with pytest.raises(CommandError, match=r"folds \[8\] are both training and test folds"):
        run("--generator", "sssd-ecg", "--queue", "--test-folds", "8", *TINY)


def must_not(what: str):
    """A stand-in that fails the test when called: the request must not ``what``."""

    def called(*args, **kwargs):
        raise AssertionError(f"a refused request went on to {what}")

    return called


@pytest.mark.parametrize("queue", [False, True])
@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("/proc/nope", r"output folder /proc/nope: cannot write in /proc"),
        ("{tmp}/taken.pt", r"output folder .*/taken.pt is a file"),
        ("{tmp}/missing/realism", r"output folder .*/missing/realism: .*/missing does not exist"),
    ],
)
def test_an_unusable_output_folder_is_refused_before_any_work(
    turing_folds, tmp_path, settings, monkeypatch, queue, out, message
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # --queue would send it to a worker
    (tmp_path / "taken.pt").write_bytes(b"an earlier file")
    monkeypatch.setattr("generator.realism.evaluate_realism", must_not("train classifiers"))
    monkeypatch.setattr(evaluate_realism, "delay", must_not("queue the evaluation"))
    with pytest.raises(CommandError, match=message):
        run("--generator", "sssd-ecg", "--out", out.format(tmp=tmp_path), *TINY,
            *(["--queue"] if queue else []))  # fmt: skip
    assert not RealismEvaluation.objects.exists()
    assert (tmp_path / "taken.pt").read_bytes() == b"an earlier file"


def test_a_failed_save_stores_no_evaluation_and_removes_the_classifiers(
    turing_folds, tmp_path, monkeypatch
):
    from generator import realism

    saved = realism.save_classifier

    def disk_full_on_the_second(path, model, meta):
        if meta["trained_on"] == "real":
            raise OSError(28, "No space left on device")
        return saved(path, model, meta)

    monkeypatch.setattr(realism, "save_classifier", disk_full_on_the_second)
    with pytest.raises(CommandError, match="cannot save the classifiers in .*No space left"):
        run("--generator", "sssd-ecg", "--out", str(tmp_path / "out"), *TINY)
    assert not RealismEvaluation.objects.exists()  # not the dashboard's "latest" evaluation
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--generator", "generator:nope"),
         "no synthetic ECGs of generator:nope with a diagnostic superclass"),
        (("--generator", "sssd-ecg", "--real-origin", "nope"),
         "no real nope ECGs of folds 1,2,3,4,5,6,7,8 with a diagnostic superclass"),
        (("--generator", "sssd-ecg", "--test-folds", "9"),
         "no real ptbxl ECGs of folds 9 with a diagnostic superclass"),
        (("--generator", "sssd-ecg", "--epochs", "0"), "epochs and batch size must be >= 1"),
        (("--generator", "sssd-ecg", "--checkpoint", "/nope.pt"), "checkpoint /nope.pt does not"),
    ],
)  # fmt: skip
def test_what_the_evaluation_would_refuse_is_refused_before_it_is_queued(
    turing_folds, settings, monkeypatch, args, message
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(evaluate_realism, "delay", must_not("queue the evaluation"))
    with pytest.raises(CommandError, match=message):
        run(*args, "--queue", "--width", "8", "--min-per-class", "1")
