"""Machine realism of a synthetic pool against the store's real ECGs (TSTR, TRTS, TRTR).

Signals are harmonised as a study shows them (default settings at the evaluation's rate),
labelled by their diagnostic superclasses, evaluated by ``generator.core.realism`` and
stored as a :class:`RealismEvaluation` per generator (origin, generator name, checkpoint).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from django.db import transaction
from django.db.models import QuerySet

from generator.core.checkpoint import CheckpointError, load_checkpoint
from generator.core.classifier import ClassifierConfig, save_classifier
from generator.core.config import SSSDConfig
from generator.core.harmonise import HarmonisationSpec, harmonise
from generator.core.labels import encode_label_sets
from generator.core.realism import (
    Dataset,
    FitSettings,
    RealismError,
    RealismResult,
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
    store the result; with ``out_dir`` the two classifiers are saved there too (a failure
    stores neither). ``device``: cpu or cuda (default: cuda when available).

    The generator must not have been trained on the test folds (see
    :func:`generator_training`: from the pool's ``checkpoint`` file or the folds stated in
    ``generator_train_folds``); an overlap is refused unless
    ``allow_generator_test_overlap``, and unknown training folds are stored with a warning
    (``settings["generator_training"]``)."""
    spec, config, fit = realism_request_check(
        synthetic_origin=synthetic_origin,
        real_origin=real_origin,
        train_folds=train_folds,
        test_folds=test_folds,
        sampling_rate=sampling_rate,
        epochs=epochs,
        seed=seed,
        width=width,
        min_per_class=min_per_class,
        out_dir=out_dir,
        checkpoint=checkpoint,
        generator_train_folds=generator_train_folds,
        allow_generator_test_overlap=allow_generator_test_overlap,
    )
    settings = replace(fit, device=device)
    real = ECG.objects.real().filter(origin=real_origin)
    sets = _evaluation_sets(synthetic_origin, real_origin, train_folds, test_folds)
    pool = sets[0][1]  # the synthetic ECGs
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
    synthetic, real_train, real_test = (_dataset(name, rows, spec) for name, rows in sets)
    result = evaluate_realism(synthetic, real_train, real_test, config, settings, min_per_class)
    names = set(pool.values_list("generator_name", flat=True))
    checkpoints = set(pool.values_list("checkpoint_sha256", flat=True))
    fields = {
        "synthetic_origin": synthetic_origin,
        "generator_name": names.pop() if len(names) == 1 else "",
        "checkpoint_sha256": checkpoints.pop() if len(checkpoints) == 1 else "",
        "real_origin": real_origin,
        "train_folds": sorted(train_folds),
        "test_folds": sorted(test_folds),
        "sampling_rate": spec.sampling_rate,
        "settings": {
            **realism_settings(config, settings),
            "min_per_class": min_per_class,
            "generator_training": training,
        },
        "metrics": result.metrics(),
    }
    return _evaluation_store(fields, result, out_dir)


def _evaluation_store(
    fields: dict, result: RealismResult, out_dir: str | None
) -> RealismEvaluation:
    """Store the evaluation and, with ``out_dir``, save its two classifiers there: both or
    neither (a failure leaves no row and removes the files already written)."""
    written: list[Path] = []
    try:
        with transaction.atomic():
            evaluation = RealismEvaluation.objects.create(**fields)
            if out_dir:
                evaluation.classifier_files = _classifiers_save(
                    evaluation.pk, result, Path(out_dir), written
                )
                evaluation.save(update_fields=["classifier_files"])
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return evaluation


def _classifiers_save(pk: int, result: RealismResult, folder: Path, written: list[Path]) -> dict:
    """Save both classifiers of evaluation ``pk`` in ``folder`` (each path is added to
    ``written`` before it is written); their paths and SHA-256."""
    files = {}
    for kind, model in (("synthetic", result.synthetic_model), ("real", result.real_model)):
        path = folder / f"realism_{pk}_{kind}.pt"
        written.append(path)
        try:
            digest = save_classifier(path, model, {"evaluation": pk, "trained_on": kind})
        except OSError as exc:
            raise RealismError(f"cannot save the classifiers in {folder}: {exc}") from exc
        files[kind] = {"path": str(path), "sha256": digest}
    return files


def realism_request_check(
    *,
    synthetic_origin: str,
    real_origin: str = "ptbxl",
    train_folds: Sequence[int],
    test_folds: Sequence[int],
    sampling_rate: float = 100.0,
    epochs: int = 20,
    seed: int = 0,
    width: int = 32,
    min_per_class: int = 2,
    out_dir: str | None = None,
    checkpoint: str | None = None,
    generator_train_folds: Sequence[int] | None = None,
    allow_generator_test_overlap: bool = False,
    **_: object,
) -> tuple[HarmonisationSpec, ClassifierConfig, FitSettings]:
    """Refuse, before any ECG is loaded (and before a job is queued), folds that overlap,
    a generator stated to be trained on a test fold, a bad rate, network or fit setting,
    a set with no labelled ECG in the store, a missing checkpoint file or an output folder
    that cannot be written; the harmonisation, classifier and fit settings of the request
    (the device is left to the machine that runs it)."""
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
    fit = FitSettings(epochs=epochs, seed=seed)
    for name, rows in _evaluation_sets(synthetic_origin, real_origin, train_folds, test_folds):
        if not any(map(_labelled, rows.values_list("superclasses", flat=True).iterator())):
            raise RealismError(f"no {name} with a diagnostic superclass in the store")
    if checkpoint and not Path(checkpoint).is_file():
        raise RealismError(f"checkpoint {checkpoint} does not exist")
    if out_dir:
        _output_folder_check(Path(out_dir))
    return spec, config, fit


def _evaluation_sets(
    synthetic_origin: str, real_origin: str, train_folds: Sequence[int], test_folds: Sequence[int]
) -> list[tuple[str, QuerySet]]:
    """The named rows of the synthetic pool, the real training and the real test ECGs."""
    real = ECG.objects.real().filter(origin=real_origin)
    return [
        (
            f"synthetic ECGs of {synthetic_origin}",
            ECG.objects.synthetic().filter(origin=synthetic_origin),
        ),
        (
            f"real {real_origin} ECGs of folds {fold_text(train_folds)}",
            real.filter(strat_fold__in=train_folds),
        ),
        (
            f"real {real_origin} ECGs of folds {fold_text(test_folds)}",
            real.filter(strat_fold__in=test_folds),
        ),
    ]


def _labelled(superclasses: Sequence[str]) -> bool:
    """Whether an ECG has a diagnostic superclass (the ECGs an evaluation uses)."""
    return any(c in superclasses for c in SUPERCLASSES)


def _output_folder_check(folder: Path) -> None:
    """Refuse an output folder that is a file, whose parent does not exist, or in which a
    file cannot be created (tried with a temporary file that is removed at once)."""
    if folder.exists() and not folder.is_dir():
        raise RealismError(f"output folder {folder} is a file")
    existing = folder if folder.is_dir() else folder.parent
    if not existing.is_dir():
        raise RealismError(f"output folder {folder}: {existing} does not exist")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise RealismError(
            f"output folder {folder}: cannot write in {existing} ({exc.strerror})"
        ) from exc


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
        if not _labelled(ecg.superclasses):
            continue
        try:
            signals.append(harmonise(ecg.signal(), ecg.sampling_rate, spec))
        except ValueError as exc:
            raise RealismError(f"{name}: ECG {ecg.pk}: {exc}") from exc
        labels.append([c in ecg.superclasses for c in SUPERCLASSES])
    return Dataset(name, np.stack(signals), np.asarray(labels, dtype=np.float32))


def latest_evaluations(origins: Sequence[str]) -> list[RealismEvaluation]:
    """The latest realism evaluation of each synthetic origin that has one."""
    latest: dict[str, RealismEvaluation] = {}
    for evaluation in RealismEvaluation.objects.filter(synthetic_origin__in=origins):
        latest.setdefault(evaluation.synthetic_origin, evaluation)  # newest first
    return [latest[origin] for origin in sorted(latest)]
