"""Machine realism of a synthetic pool against the store's real ECGs (TSTR, TRTS, TRTR).

Signals are harmonised as a study shows them (default settings at the evaluation's rate),
labelled by their diagnostic superclasses, evaluated by ``generator.core.realism`` and
stored as a :class:`RealismEvaluation` per generator (origin, generator name, checkpoint).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from generator.core.checkpoint import CheckpointError, load_checkpoint
from generator.core.classifier import ClassifierConfig, save_classifier
from generator.core.config import SSSDConfig
from generator.core.harmonise import HarmonisationSpec, harmonise
from generator.core.labels import encode_label_sets
from generator.core.realism import (
    Dataset,
    FitSettings,
    RealismError,
    evaluate_realism,
    fold_text,
    generator_fold_check,
    unknown_generator_training,
)
from generator.core.realism import settings_dict as realism_settings
from generator.core.scp import SUPERCLASSES
from generator.core.train import TRAIN_FOLDS
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
    checkpoint: str | None = None,
    generator_train_folds: Sequence[int] | None = None,
    allow_generator_test_overlap: bool = False,
) -> RealismEvaluation:
    """Evaluate the synthetic ECGs of ``synthetic_origin`` against the real ECGs of
    ``real_origin`` (classifiers trained on ``train_folds``, tested on ``test_folds``) and
    store the result; with ``out_dir`` the two classifiers are saved there too. ``device``:
    cpu or cuda (default: cuda when available).

    The generator must not have been trained on the test folds (see
    :func:`generator_training`: from the pool's ``checkpoint`` file or the folds stated in
    ``generator_train_folds``); an overlap is refused unless
    ``allow_generator_test_overlap``, and unknown training folds are stored with a warning
    (``settings["generator_training"]``)."""
    spec, config = realism_request_check(
        train_folds=train_folds,
        test_folds=test_folds,
        sampling_rate=sampling_rate,
        width=width,
        min_per_class=min_per_class,
        generator_train_folds=generator_train_folds,
        allow_generator_test_overlap=allow_generator_test_overlap,
    )
    settings = FitSettings(epochs=epochs, seed=seed, device=device)
    real = ECG.objects.real().filter(origin=real_origin)
    pool = ECG.objects.synthetic().filter(origin=synthetic_origin)
    training = generator_training(
        pool=pool, real=real, checkpoint=checkpoint, stated_folds=generator_train_folds
    )
    overlap = generator_fold_check(
        training["folds"], test_folds, allow_overlap=allow_generator_test_overlap
    )
    training["test_overlap_allowed"] = overlap
    if overlap:  # allowed, so every view of the result must carry the caveat
        training["warning"] = (
            f"the generator was trained on test fold(s) {fold_text(overlap)} (overlap allowed): "
            f"TSTR and TRTS are scored partly on ECGs it was trained on"
        )
    synthetic = _dataset(f"synthetic ECGs of {synthetic_origin}", pool, spec)
    real_train = _dataset(
        f"real {real_origin} ECGs of folds {fold_text(train_folds)}",
        real.filter(strat_fold__in=train_folds),
        spec,
    )
    real_test = _dataset(
        f"real {real_origin} ECGs of folds {fold_text(test_folds)}",
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
        settings={
            **realism_settings(config, settings),
            "min_per_class": min_per_class,
            "generator_training": training,
        },
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


def realism_request_check(
    *,
    train_folds: Sequence[int],
    test_folds: Sequence[int],
    sampling_rate: float,
    width: int,
    min_per_class: int,
    generator_train_folds: Sequence[int] | None = None,
    allow_generator_test_overlap: bool = False,
) -> tuple[HarmonisationSpec, ClassifierConfig]:
    """Refuse, before any ECG is loaded (and before a job is queued), folds that overlap,
    a generator stated to be trained on a test fold, a bad rate or network configuration;
    the harmonisation and classifier configuration of the request."""
    if not train_folds or not test_folds:
        raise RealismError("name the real training folds and the real test folds")
    overlap = sorted(set(train_folds) & set(test_folds))
    if overlap:
        raise RealismError(f"folds {overlap} are both training and test folds")
    generator_fold_check(
        generator_train_folds or None, test_folds, allow_overlap=allow_generator_test_overlap
    )
    try:
        spec = HarmonisationSpec(sampling_rate=sampling_rate)
    except ValueError as exc:
        raise RealismError(str(exc)) from exc
    try:
        config = ClassifierConfig(width=width)
    except ValueError as exc:
        raise RealismError(str(exc)) from exc
    if min_per_class < 1:
        raise RealismError(f"min_per_class must be >= 1, got {min_per_class}")
    return spec, config


def generator_training(
    *, pool, real, checkpoint: str | None, stated_folds: Sequence[int] | None
) -> dict:
    """The real folds the pool's generator was trained on, and how that is known.

    ``checkpoint`` (the file the pool was sampled from: its SHA-256 must be the pool's) is
    read: a native checkpoint names the folds it was trained on (``training_data``, written
    by training since checkpoints record it); an older one records only the fingerprint of
    its training data, which is compared with the store's ``real`` ECGs of the folds
    ``train_generator`` trains on
    (folds 1-8, at the checkpoint's rate and length, as ``generator.core.train`` reads
    them). ``stated_folds`` are taken when the checkpoint cannot tell (a release
    checkpoint, another training set) and must agree when it can. Otherwise ``folds`` is
    None and ``warning`` says why."""
    named = sorted(set(pool.values_list("checkpoint_sha256", flat=True)) - {""})
    record = unknown_generator_training()
    if checkpoint:
        try:
            loaded = load_checkpoint(checkpoint)
        except CheckpointError as exc:
            raise RealismError(str(exc)) from exc
        if loaded.sha256 not in named:
            raise RealismError(
                f"checkpoint {checkpoint} (SHA-256 {loaded.sha256[:12]}) did not generate "
                f"this pool: its ECGs name "
                f"{', '.join(n[:12] for n in named) or 'no checkpoint'}"
            )
        name = Path(checkpoint).name
        record.update(
            checkpoint_sha256=loaded.sha256,
            checkpoint_format=loaded.source,
            data_fingerprint=loaded.data_fingerprint,
        )
        recorded = (loaded.training_data or {}).get("folds")
        if loaded.source != "native":
            reason = f"checkpoint {name} ({loaded.source}) records no training data"
        elif recorded:
            record.update(folds=sorted(recorded), source="checkpoint training record")
        elif not loaded.data_fingerprint:
            reason = f"checkpoint {name} records no data fingerprint"
        elif _store_fingerprint(real, TRAIN_FOLDS, loaded.config.model) == loaded.data_fingerprint:
            record.update(folds=list(TRAIN_FOLDS), source="checkpoint data fingerprint")
        else:
            reason = (
                f"checkpoint {name} records the data fingerprint "
                f"{loaded.data_fingerprint[:12]}, which is not that of the store's real ECGs "
                f"of folds {fold_text(TRAIN_FOLDS)} (the folds train_generator trains on)"
            )
    elif named:
        reason = "no checkpoint file of the pool was given to read them from"
    else:
        reason = "the pool names no generator checkpoint"
    if stated_folds:
        stated = sorted(set(stated_folds))
        if record["folds"] is not None and record["folds"] != stated:
            raise RealismError(
                f"the generator's training folds were stated as {fold_text(stated)}, but its "
                f"checkpoint names folds {fold_text(record['folds'])} ({record['source']})"
            )
        if record["folds"] is None:
            record.update(folds=stated, source="stated")
    if record["folds"] is None:
        record["warning"] = (
            f"the generator's training folds are unknown ({reason}); TSTR and TRTS may be "
            f"scored on ECGs it was trained on"
        )
    elif checkpoint and len(named) > 1:
        record["warning"] = (
            f"the pool mixes {len(named)} checkpoints; only {record['checkpoint_sha256'][:12]}"
            f"'s training folds were read"
        )
    return record


def _store_fingerprint(real, folds: Sequence[int], model: SSSDConfig) -> str | None:
    """``EcgDataset.fingerprint()`` of the stored real ECGs of ``folds`` read as
    ``generator.core.train.load_ptbxl_dataset`` reads PTB-XL (record order, the first
    ``signal_length`` samples, the vocabulary's labels), hashed one ECG at a time; None
    when they cannot have been the training set (another rate, too short, none)."""
    digest, label_sets = hashlib.sha256(), []
    rows = real.filter(strat_fold__in=folds).order_by("dataset_ecg_id", "id")
    for ecg in rows.iterator(chunk_size=500):
        if ecg.sampling_rate != model.sampling_rate or ecg.n_samples < model.signal_length:
            return None
        signal = np.ascontiguousarray(ecg.signal()[:, : model.signal_length], dtype=np.float32)
        digest.update(signal.tobytes())
        label_sets.append([c for c in ecg.scp_codes if c in model.label_vocabulary])
    if not label_sets:
        return None
    digest.update(encode_label_sets(label_sets, model.label_vocabulary).tobytes())
    return digest.hexdigest()


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
