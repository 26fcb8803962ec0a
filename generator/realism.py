"""Machine realism of a synthetic pool against the store's real ECGs (TSTR, TRTS, TRTR).

Signals are harmonised as a study shows them (default settings at the evaluation's rate),
labelled by their diagnostic superclasses, evaluated by ``generator.core.realism`` and
stored as a :class:`RealismEvaluation` per generator (origin, generator name, checkpoint).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from generator.core.classifier import ClassifierConfig, save_classifier
from generator.core.harmonise import HarmonisationSpec, harmonise
from generator.core.realism import Dataset, FitSettings, RealismError, evaluate_realism
from generator.core.realism import settings_dict as realism_settings
from generator.core.scp import SUPERCLASSES
from generator.models import ECG, RealismEvaluation


def realism_evaluation(
    *,
    synthetic_origin: str,
    real_origin: str = "ptbxl",
    train_folds: Sequence[int] = tuple(range(1, 9)),
    test_folds: Sequence[int] = (10,),
    sampling_rate: float = 100.0,
    epochs: int = 20,
    seed: int = 0,
    width: int = 32,
    min_per_class: int = 2,
    out_dir: str | None = None,
    device: str | None = None,
) -> RealismEvaluation:
    """Evaluate the synthetic ECGs of ``synthetic_origin`` against the real ECGs of
    ``real_origin`` (classifiers trained on ``train_folds``, tested on ``test_folds``) and
    store the result; with ``out_dir`` the two classifiers are saved there too. ``device``:
    cpu or cuda (default: cuda when available)."""
    if not train_folds or not test_folds:
        raise RealismError("name the real training folds and the real test folds")
    overlap = sorted(set(train_folds) & set(test_folds))
    if overlap:
        raise RealismError(f"folds {overlap} are both training and test folds")
    try:
        spec = HarmonisationSpec(sampling_rate=sampling_rate)
    except ValueError as exc:
        raise RealismError(str(exc)) from exc
    try:  # refuse a bad configuration before loading thousands of ECGs
        config = ClassifierConfig(width=width)
    except ValueError as exc:
        raise RealismError(str(exc)) from exc
    settings = FitSettings(epochs=epochs, seed=seed, device=device)
    if min_per_class < 1:
        raise RealismError(f"min_per_class must be >= 1, got {min_per_class}")
    real = ECG.objects.real().filter(origin=real_origin)
    pool = ECG.objects.synthetic().filter(origin=synthetic_origin)
    synthetic = _dataset(f"synthetic ECGs of {synthetic_origin}", pool, spec)
    real_train = _dataset(
        f"real {real_origin} ECGs of folds {_folds(train_folds)}",
        real.filter(strat_fold__in=train_folds),
        spec,
    )
    real_test = _dataset(
        f"real {real_origin} ECGs of folds {_folds(test_folds)}",
        real.filter(strat_fold__in=test_folds),
        spec,
    )
    result = evaluate_realism(synthetic, real_train, real_test, config, settings, min_per_class)
    names = set(pool.values_list("generator_name", flat=True))
    checkpoints = set(pool.values_list("checkpoint_sha256", flat=True))
    evaluation = RealismEvaluation.objects.create(
        synthetic_origin=synthetic_origin,
        generator_name=names.pop() if len(names) == 1 else "",
        checkpoint_sha256=checkpoints.pop() if len(checkpoints) == 1 else "",
        real_origin=real_origin,
        train_folds=sorted(train_folds),
        test_folds=sorted(test_folds),
        sampling_rate=spec.sampling_rate,
        settings={**realism_settings(config, settings), "min_per_class": min_per_class},
        metrics=result.metrics(),
    )
    if out_dir:
        files = {}
        for kind, model in (("synthetic", result.synthetic_model), ("real", result.real_model)):
            path = Path(out_dir) / f"realism_{evaluation.pk}_{kind}.pt"
            meta = {"evaluation": evaluation.pk, "trained_on": kind}
            files[kind] = {"path": str(path), "sha256": save_classifier(path, model, meta)}
        evaluation.classifier_files = files
        evaluation.save(update_fields=["classifier_files"])
    return evaluation


def _folds(folds: Sequence[int]) -> str:
    return ",".join(str(f) for f in sorted(folds))


def _dataset(name: str, rows, spec: HarmonisationSpec) -> Dataset:
    """Harmonised signals (n, 12, samples) and superclass labels of ``rows``, in id order.
    ECGs with no diagnostic superclass are left out, as in the PTB-XL superclass benchmark
    (kept, they would count as negatives of every class)."""
    signals, labels = [], []
    for ecg in rows.order_by("id").iterator(chunk_size=500):
        if not any(c in ecg.superclasses for c in SUPERCLASSES):
            continue
        try:
            signals.append(harmonise(ecg.signal(), ecg.sampling_rate, spec))
        except ValueError as exc:
            raise RealismError(f"{name}: ECG {ecg.pk}: {exc}") from exc
        labels.append([c in ecg.superclasses for c in SUPERCLASSES])
    if not signals:
        raise RealismError(f"no {name} with a diagnostic superclass in the store")
    return Dataset(name, np.stack(signals), np.asarray(labels, dtype=np.float32))


def latest_evaluations(origins: Sequence[str]) -> list[RealismEvaluation]:
    """The latest realism evaluation of each synthetic origin that has one."""
    latest: dict[str, RealismEvaluation] = {}
    for evaluation in RealismEvaluation.objects.filter(synthetic_origin__in=origins):
        latest.setdefault(evaluation.synthetic_origin, evaluation)  # newest first
    return [latest[origin] for origin in sorted(latest)]
