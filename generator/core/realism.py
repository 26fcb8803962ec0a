"""Machine realism of a synthetic pool: TSTR (train the superclass classifier on synthetic
ECGs, test on real held-out ECGs), TRTS (train on real, test on synthetic) and, as the
ceiling both are read against, TRTR (train on real, test on real held-out ECGs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from generator.core.classifier import ClassifierConfig, ECGClassifier
from generator.core.realism_metrics import multilabel_metrics

MIN_SAMPLES = 64  # the network halves time 2 + len(blocks) - 1 times; shorter is not an ECG


class RealismError(ValueError):
    """Input the evaluation cannot use: NaN, wrong shapes, too few ECGs of a class."""


@dataclass(frozen=True)
class FitSettings:
    """How a classifier is trained: AdamW on the binary cross-entropy of each class."""

    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-2
    seed: int = 0
    device: str | None = None  # None: cuda when available

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise RealismError("epochs and batch size must be >= 1 and the learning rate > 0")
        if self.device is not None:
            try:
                kind = torch.device(self.device).type
            except (RuntimeError, TypeError) as exc:
                raise RealismError(f"unknown device {self.device!r}: use cpu or cuda") from exc
            if kind == "cuda" and not torch.cuda.is_available():
                raise RealismError(f"device {self.device!r} asked for, but CUDA is not available")


@dataclass
class Dataset:
    """ECGs (n, 12, samples) in mV with their multi-hot superclass labels (n, classes)."""

    name: str
    signals: np.ndarray
    labels: np.ndarray


@dataclass
class RealismResult:
    """The three evaluations' metrics and the two trained classifiers."""

    tstr: dict
    trts: dict
    trtr: dict
    synthetic_model: ECGClassifier
    real_model: ECGClassifier

    def metrics(self) -> dict:
        return {"tstr": self.tstr, "trts": self.trts, "trtr": self.trtr}


def check_dataset(data: Dataset, config: ClassifierConfig, min_per_class: int) -> None:
    """Refuse, naming the set, anything but finite (n, leads, >= 64) signals with 0/1
    labels, and a class with fewer than ``min_per_class`` ECGs with or without it."""
    signals, labels = np.asarray(data.signals), np.asarray(data.labels)
    if signals.ndim != 3 or signals.shape[1] != config.leads or signals.shape[2] < MIN_SAMPLES:
        raise RealismError(
            f"{data.name}: signals of shape {signals.shape}, expected (n, {config.leads}, "
            f">= {MIN_SAMPLES} samples)"
        )
    if labels.shape != (len(signals), len(config.classes)):
        raise RealismError(
            f"{data.name}: labels of shape {labels.shape}, expected "
            f"({len(signals)}, {len(config.classes)}) for classes {', '.join(config.classes)}"
        )
    if not np.isfinite(signals).all():
        bad = sorted({int(i) for i in np.argwhere(~np.isfinite(signals))[:, 0]})
        raise RealismError(f"{data.name}: ECGs {bad[:10]} contain NaN or infinite values")
    if not np.isin(labels, (0, 1)).all():
        raise RealismError(f"{data.name}: labels must be 0 or 1")
    for j, name in enumerate(config.classes):
        with_it = int(labels[:, j].sum())
        without = len(labels) - with_it
        if min(with_it, without) < min_per_class:
            raise RealismError(
                f"{data.name}: too few ECGs for class {name}: {with_it} with it, {without} "
                f"without; at least {min_per_class} of each are needed"
            )


def _device(settings: FitSettings) -> torch.device:
    return torch.device(settings.device or ("cuda" if torch.cuda.is_available() else "cpu"))


def fit_classifier(data: Dataset, config: ClassifierConfig, settings: FitSettings) -> ECGClassifier:
    """Train a fresh classifier on ``data``; the same seed gives the same weights on CPU."""
    device = _device(settings)
    signals = torch.as_tensor(np.asarray(data.signals, dtype=np.float32))
    labels = torch.as_tensor(np.asarray(data.labels, dtype=np.float32))
    cuda = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):  # initialisation and dropout draw from the seed
        torch.manual_seed(settings.seed)
        model = ECGClassifier(config).to(device)
        order = torch.Generator().manual_seed(settings.seed)
        optimiser = torch.optim.AdamW(
            model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
        )
        loss_fn = nn.BCEWithLogitsLoss()
        model.train()
        for _ in range(settings.epochs):
            for batch in torch.randperm(len(signals), generator=order).split(settings.batch_size):
                if len(batch) < 2:  # batch norm needs two ECGs
                    continue
                optimiser.zero_grad()
                loss = loss_fn(model(signals[batch].to(device)), labels[batch].to(device))
                loss.backward()
                optimiser.step()
    return model.eval()


@torch.no_grad()
def predict(model: ECGClassifier, signals: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (n, classes) of ``signals``."""
    device = next(model.parameters()).device
    model.eval()
    tensor = torch.as_tensor(np.asarray(signals, dtype=np.float32))
    out = [torch.sigmoid(model(part.to(device))).cpu() for part in tensor.split(batch_size)]
    return torch.cat(out).numpy()


def evaluate_realism(
    synthetic: Dataset,
    real_train: Dataset,
    real_test: Dataset,
    config: ClassifierConfig | None = None,
    settings: FitSettings | None = None,
    min_per_class: int = 2,
) -> RealismResult:
    """TSTR, TRTS and TRTR of one synthetic pool, each as ``multilabel_metrics``."""
    config, settings = config or ClassifierConfig(), settings or FitSettings()
    if isinstance(min_per_class, bool) or not isinstance(min_per_class, int) or min_per_class < 1:
        raise RealismError(
            f"min_per_class must be an integer >= 1 (an AUC needs ECGs with and without "
            f"each class), got {min_per_class!r}"
        )
    for data in (synthetic, real_train, real_test):
        check_dataset(data, config, min_per_class)
    lengths = {data.signals.shape[2] for data in (synthetic, real_train, real_test)}
    if len(lengths) > 1:
        raise RealismError(f"all ECGs must have one length; got {sorted(lengths)} samples")
    synthetic_model = fit_classifier(synthetic, config, settings)
    real_model = fit_classifier(real_train, config, settings)

    def scores(model: ECGClassifier, trained_on: Dataset, data: Dataset) -> dict:
        result = multilabel_metrics(data.labels, predict(model, data.signals), config.classes)
        return {**result, "n_train": len(trained_on.labels), "n_test": len(data.labels)}

    return RealismResult(
        tstr=scores(synthetic_model, synthetic, real_test),
        trts=scores(real_model, real_train, synthetic),
        trtr=scores(real_model, real_train, real_test),
        synthetic_model=synthetic_model,
        real_model=real_model,
    )


def generator_fold_check(
    generator_folds: Sequence[int] | None,
    test_folds: Sequence[int],
    *,
    allow_overlap: bool = False,
) -> list[int]:
    """The real test folds the generator was also trained on (sorted; empty when none).

    A generator trained on the test folds has seen the ECGs TSTR is scored on, so its TSTR
    (and the synthetic ECGs' TRTS) would flatter it: refused unless ``allow_overlap``.
    ``generator_folds`` None (not known) overlaps nothing here; callers say it is unknown.
    """
    if generator_folds is None:
        return []
    overlap = sorted(set(generator_folds) & set(test_folds))
    if overlap and not allow_overlap:
        raise RealismError(
            f"the generator was trained on folds {fold_text(generator_folds)}, which include "
            f"the real test fold(s) {fold_text(overlap)}: TSTR would be scored on ECGs the "
            f"generator has seen; choose test folds it was not trained on (or allow the "
            f"overlap explicitly)"
        )
    return overlap


def fold_text(folds: Sequence[int]) -> str:
    """Folds as written in messages: ascending, comma separated (``1,2,3``)."""
    return ",".join(str(f) for f in sorted(set(folds)))


def unknown_generator_training() -> dict:
    """The record of a generator whose training folds are not known (yet): the fields an
    evaluation stores under ``settings["generator_training"]``, all empty."""
    return {
        "folds": None,
        "source": "unknown",
        "checkpoint_sha256": "",
        "checkpoint_format": "",
        "data_fingerprint": "",
        "warning": "",
        "test_overlap_allowed": [],
    }


def settings_dict(config: ClassifierConfig, settings: FitSettings) -> dict:
    """The configuration and training settings (with the device used), as stored beside
    the results."""
    fit = {**asdict(settings), "device": str(_device(settings))}
    return {"classifier": config.to_dict(), "fit": fit}
