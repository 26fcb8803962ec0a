"""The superclass classifier and TSTR/TRTS core (no Django): metrics against sklearn and by
hand, seeded training, checkpoints, clear refusals, and on the 22 real Turing ECGs: the
network can learn, and a generator of pure noise scores TSTR AUC about 0.5."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, roc_auc_score

from generator.core.classifier import (
    ClassifierConfig,
    ECGClassifier,
    load_classifier,
    save_classifier,
)
from generator.core.leads import from_order
from generator.core.realism import (
    Dataset,
    FitSettings,
    RealismError,
    evaluate_realism,
    fit_classifier,
    generator_fold_check,
    predict,
)
from generator.core.realism_metrics import f1, g_mean, multilabel_metrics, roc_auc
from generator.core.scp import SUPERCLASSES, split_label_key, superclasses_of

TINY = ClassifierConfig(width=8, blocks=(1, 1))
FAST = FitSettings(epochs=3, seed=1, device="cpu")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Two shared cores: the tiny network is many times faster on one thread than on two
    threads that compete with other processes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def turing(shared_data) -> dict[str, Dataset]:
    """The 22 real and 22 synthetic Turing ECGs (standard lead order) with the superclass
    labels of their shared label sets (NORM 7, MI 4, STTC 5, CD 4, HYP 3)."""
    folder = shared_data / "sssd_ecg_turing22"
    with open(folder / "trials.csv", newline="") as handle:
        codes = [split_label_key(row["scp_codes"]) for row in csv.DictReader(handle)]
    labels = np.array(
        [[c in superclasses_of(row) for c in SUPERCLASSES] for row in codes], dtype=np.float32
    )
    data = {}
    for name in ("real", "synthetic"):
        signals = np.stack([from_order(x, "sssd") for x in np.load(folder / f"{name}.npy")])
        data[name] = Dataset(name, signals.astype(np.float32), labels)
    return data


def test_metrics_agree_with_sklearn():
    rng = np.random.default_rng(3)
    labels = (rng.random((60, 5)) < [0.5, 0.2, 0.3, 0.1, 0.4]).astype(int)
    scores = np.round(rng.random((60, 5)) * 0.5 + 0.4 * labels, 1)  # ties on purpose
    result = multilabel_metrics(labels, scores, SUPERCLASSES)
    predicted = scores >= 0.5
    for j, name in enumerate(SUPERCLASSES):
        assert result["per_class"][name]["auc"] == pytest.approx(
            roc_auc_score(labels[:, j], scores[:, j])
        )
        assert result["per_class"][name]["f1"] == pytest.approx(
            f1_score(labels[:, j], predicted[:, j], zero_division=0)
        )
    assert result["macro"]["auc"] == pytest.approx(roc_auc_score(labels, scores, average="macro"))
    assert result["macro"]["f1"] == pytest.approx(
        f1_score(labels, predicted, average="macro", zero_division=0)
    )
    assert f1([1, 0], [0, 0]) == f1_score([1, 0], [0, 0], zero_division=0) == 0.0


def test_g_mean_by_hand():
    labels = [1, 1, 1, 0, 0, 0, 0, 0]
    predicted = [1, 1, 0, 1, 0, 0, 0, 0]
    # sensitivity 2/3, specificity 4/5
    assert g_mean(labels, predicted) == pytest.approx(np.sqrt(2 / 3 * 4 / 5))
    assert g_mean(labels, [0] * 8) == 0.0  # nothing found: sensitivity 0


def test_auc_needs_both_classes():
    with pytest.raises(ValueError, match="at least one positive and one negative"):
        roc_auc([1, 1, 1], [0.1, 0.2, 0.3])


def test_the_network_maps_ecgs_to_five_logits_and_round_trips_its_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = ECGClassifier(TINY).eval()
    x = torch.randn(3, 12, 1000)
    assert model(x).shape == (3, 5)
    path = tmp_path / "clf.pt"
    digest = save_classifier(path, model, {"trained_on": "noise"})
    loaded, meta = load_classifier(path)
    assert len(digest) == 64 and meta == {"trained_on": "noise"}
    assert loaded.config == TINY
    torch.testing.assert_close(loaded(x), model(x))
    with pytest.raises(ValueError, match="dropout"):
        ClassifierConfig(dropout=1.0)


def test_training_is_seeded(turing):
    a = predict(fit_classifier(turing["real"], TINY, FAST), turing["synthetic"].signals)
    b = predict(fit_classifier(turing["real"], TINY, FAST), turing["synthetic"].signals)
    other = FitSettings(epochs=3, seed=2, device="cpu")
    c = predict(fit_classifier(turing["real"], TINY, other), turing["synthetic"].signals)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_the_network_can_learn_the_real_labels(turing):
    """Fitted to the 22 real ECGs it ranks their own labels almost perfectly, so a TSTR
    AUC near 0.5 means the training ECGs carried nothing, not that nothing can be learnt."""
    settings = FitSettings(epochs=40, lr=3e-3, seed=1, device="cpu")
    model = fit_classifier(turing["real"], TINY, settings)
    result = multilabel_metrics(turing["real"].labels, predict(model, turing["real"].signals),
                                SUPERCLASSES)  # fmt: skip
    assert result["macro"]["auc"] > 0.9


def test_tstr_trts_trtr_end_to_end(turing):
    real, synthetic = turing["real"], turing["synthetic"]
    even = np.arange(22) % 2 == 0
    train = Dataset("real train", real.signals[even], real.labels[even])
    test = Dataset("real test", real.signals[~even], real.labels[~even])
    result = evaluate_realism(synthetic, train, test, TINY, FAST, min_per_class=1)
    assert (result.tstr["n_train"], result.tstr["n_test"]) == (22, 11)
    assert (result.trts["n_train"], result.trts["n_test"]) == (11, 22)
    assert (result.trtr["n_train"], result.trtr["n_test"]) == (11, 11)
    for metrics in result.metrics().values():
        assert set(metrics["per_class"]) == set(SUPERCLASSES)
        assert all(0 <= v <= 1 for v in metrics["macro"].values())
    assert result.tstr["per_class"]["HYP"]["n_positive"] == 1


def test_a_generator_of_pure_noise_scores_tstr_auc_about_one_half(turing):
    """Noise ECGs (0.2 mV white noise) with the synthetic pool's labels. On 22 real test
    ECGs one macro AUC under the null has a standard deviation of about 0.07 (Hanley-
    McNeil, n+ = 3..7 per class); the mean of 20 seeds, about 0.016, so 0.08 is 5 SD."""
    real, synthetic = turing["real"], turing["synthetic"]
    aucs = []
    for seed in range(20):
        noise = np.random.default_rng(seed).normal(0, 0.2, synthetic.signals.shape)
        pool = Dataset("noise", noise.astype(np.float32), synthetic.labels)
        settings = FitSettings(epochs=3, seed=seed, device="cpu")
        aucs.append(evaluate_realism(pool, real, real, TINY, settings, 1).tstr["macro"]["auc"])
    assert abs(np.mean(aucs) - 0.5) < 0.08


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s, y: (np.where(np.arange(s.size).reshape(s.shape) == 7, np.nan, s), y),
         r"ECGs \[0\] contain NaN"),
        (lambda s, y: (s[:, :8], y), r"shape \(22, 8, 1000\), expected \(n, 12"),
        (lambda s, y: (s[:, :, :40], y), ">= 64 samples"),
        (lambda s, y: (s, y[:, :4]), r"labels of shape \(22, 4\)"),
        (lambda s, y: (s, y * 2), "labels must be 0 or 1"),
        (lambda s, y: (s, np.c_[y[:, :4], np.zeros(22)]), "too few ECGs for class HYP: 0 with it"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_clearly(turing, change, message):
    real = turing["real"]
    signals, labels = change(real.signals, real.labels)
    with pytest.raises(RealismError, match=message):
        evaluate_realism(Dataset("synthetic", signals, labels), real, real, TINY, FAST, 1)


def test_too_few_ecgs_of_a_class_name_the_set_and_the_threshold(turing):
    real = turing["real"]
    with pytest.raises(RealismError, match="^real: too few ECGs for class HYP: 3 with it, 19"):
        evaluate_realism(real, real, real, TINY, FAST, min_per_class=4)
    short = Dataset("short", real.signals[:, :, :500], real.labels)
    with pytest.raises(RealismError, match="one length"):
        evaluate_realism(real, real, short, TINY, FAST, 1)


def test_a_class_absent_from_a_set_is_refused_even_with_min_per_class_0(turing):
    """min_per_class 0 would let a set without HYP through to an undefined AUC (a bare
    ValueError deep in the metrics); it is refused up front as a RealismError."""
    real = turing["real"]
    no_hyp = Dataset("synthetic", real.signals, np.c_[real.labels[:, :4], np.zeros(22)])
    with pytest.raises(RealismError, match="min_per_class must be an integer >= 1"):
        evaluate_realism(no_hyp, real, real, TINY, FAST, min_per_class=0)


@pytest.mark.parametrize("device", ["gpu", "cuda:x"])
def test_an_unknown_device_is_refused_clearly(device):
    with pytest.raises(RealismError, match="unknown device"):
        FitSettings(device=device)


def test_a_generator_trained_on_a_test_fold_is_refused_unless_allowed():
    assert generator_fold_check([1, 2, 3, 4, 5, 6, 7, 8], [10]) == []
    assert generator_fold_check(None, [10]) == []  # unknown: the caller warns
    with pytest.raises(RealismError, match=r"trained on folds 1,9,10, which include the real "
                       r"test fold\(s\) 9,10"):  # fmt: skip
        generator_fold_check([10, 9, 1], [9, 10])
    assert generator_fold_check([9, 10], [10], allow_overlap=True) == [10]
