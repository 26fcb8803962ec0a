"""``manage.py evaluate_realism``, its Celery task and the stored results, on the real
Turing ECGs stored with PTB-XL-like folds (even rows in folds 1-8, odd rows in fold 10)
and the 22 published SSSD-ECG samples as one generator's pool, with a tiny network."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import torch
from django.core.management import CommandError, call_command

from config.celery import app
from generator.core.classifier import load_classifier
from generator.core.scp import SUPERCLASSES, split_label_key
from generator.models import RealismEvaluation
from generator.tasks import evaluate_realism
from tests.factories import stored_sssd_row as store

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


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("evaluate_realism", *args, stdout=out)
    return out.getvalue()


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
