"""Memorisation and privacy screen of a synthetic pool against the store's real ECGs (or
a supplied file of training ECGs).

Signals are harmonised as a study shows them (default settings at the screen's rate),
screened by ``generator.core.privacy_screen`` and stored as a :class:`PrivacyScreen` with
one :class:`ScreenedECG` per synthetic ECG. Seeding leaves out synthetic ECGs that their
latest screen flagged (:func:`flagged_copy_ids`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction

from generator.core.dcr import RecordBlocks
from generator.core.harmonise import HarmonisationSpec, harmonise
from generator.core.privacy_screen import MIN_REFERENCE, screen_pool
from generator.core.record_files import RecordFileError, open_record_file
from generator.models import ECG, PrivacyScreen, ScreenedECG


class PrivacyScreenError(ValueError):
    """A screen that cannot run: an empty selection, a bad file or an ECG that cannot be
    harmonised."""


# Training ECGs harmonised and searched at a time: about 48 MB of float32 at 100 Hz.
BLOCK_SIZE = 1024


@dataclass(frozen=True)
class _Training:
    records: RecordBlocks
    keys: Sequence  # per record: the store id, or the file's id of the row
    source: dict
    in_store: bool


def privacy_screen(
    *,
    synthetic_origin: str,
    reference_folds: Sequence[int] = (),
    training_folds: Sequence[int] = (),
    real_origin: str = "ptbxl",
    sampling_rate: float = 100.0,
    min_reference: int = MIN_REFERENCE,
    training_file: str | None = None,
    reference_file: str | None = None,
    file_sampling_rate: float | None = None,
    file_lead_order: str = "standard",
    block_size: int = BLOCK_SIZE,
) -> PrivacyScreen:
    """Screen every synthetic ECG of ``synthetic_origin`` against the real ECGs of
    ``real_origin`` in ``training_folds`` (all folds but the reference ones when empty),
    with the real ECGs of ``reference_folds`` as the held-out reference.

    ``training_file`` (and ``reference_file``) supply a set as a file instead (formats:
    ``generator.core.record_files``; rate ``file_sampling_rate``, leads in
    ``file_lead_order``), harmonised as stored ECGs are. The training set is read
    ``block_size`` ECGs at a time, so memory does not grow with it. The screen records
    where both sets came from (a file by its path and SHA-256).
    """
    privacy_screen_check(
        reference_folds=reference_folds,
        training_folds=training_folds,
        sampling_rate=sampling_rate,
        training_file=training_file,
        reference_file=reference_file,
        file_sampling_rate=file_sampling_rate,
        block_size=block_size,
    )
    spec = HarmonisationSpec(sampling_rate=sampling_rate)
    real = ECG.objects.real().filter(origin=real_origin)
    syn_ids, syn = _stacked(
        ECG.objects.synthetic().filter(origin=synthetic_origin), spec, "synthetic"
    )
    if reference_file:
        with _as_screen_error():
            ref_set = open_record_file(
                reference_file, sampling_rate=file_sampling_rate, lead_order=file_lead_order
            )
            ref = np.concatenate(list(ref_set.harmonised(spec, block_size).blocks()))
        reference_source = ref_set.source()
    else:
        _, ref = _stacked(real.filter(strat_fold__in=reference_folds), spec, "reference")
        reference_source = {
            "kind": "store",
            "origin": real_origin,
            "folds": sorted(reference_folds),
        }
    if training_file:
        with _as_screen_error():
            train_set = open_record_file(
                training_file, sampling_rate=file_sampling_rate, lead_order=file_lead_order
            )
            blocks = train_set.harmonised(spec, block_size)
        training = _Training(blocks, train_set.ids, train_set.source(), False)
    else:
        rows = (
            real.filter(strat_fold__in=training_folds)
            if training_folds
            else real.exclude(strat_fold__in=reference_folds).exclude(strat_fold=None)
        )
        ids = list(rows.order_by("id").values_list("id", flat=True))
        if not ids:
            raise PrivacyScreenError("no training ECGs match the selection")
        folds = sorted(set(rows.values_list("strat_fold", flat=True)))
        source = {"kind": "store", "origin": real_origin, "folds": folds}
        training = _Training(_store_blocks(ids, spec, "training", block_size), ids, source, True)
    try:
        result = screen_pool(
            syn, training.records, ref, spec.sampling_rate, min_reference=min_reference
        )
    except ValueError as exc:
        raise PrivacyScreenError(str(exc)) from exc
    return _store_screen(
        result, synthetic_origin, real_origin, spec, syn_ids, training, reference_source
    )


def privacy_screen_check(
    *,
    reference_folds: Sequence[int] = (),
    training_folds: Sequence[int] = (),
    sampling_rate: float = 100.0,
    training_file: str | None = None,
    reference_file: str | None = None,
    file_sampling_rate: float | None = None,
    block_size: int = BLOCK_SIZE,
    **_: object,
) -> None:
    """Refuse a request that cannot run, before any ECG is read (also before queueing)."""
    if reference_file and reference_folds:
        raise PrivacyScreenError("give the held-out reference as folds or as a file, not both")
    if not (reference_folds or reference_file):
        raise PrivacyScreenError("name the held-out reference folds (or a reference file)")
    if training_file and training_folds:
        raise PrivacyScreenError("give the training set as folds or as a file, not both")
    if reference_file and not (training_file or training_folds):
        raise PrivacyScreenError("with a reference file, name the training folds (or file)")
    overlap = sorted(set(training_folds) & set(reference_folds))
    if overlap:
        raise PrivacyScreenError(f"folds {overlap} are both training and reference folds")
    for path in filter(None, (training_file, reference_file)):
        if not Path(path).is_file():
            raise PrivacyScreenError(f"{path}: file not found")
        if Path(path).suffix == ".npy" and file_sampling_rate is None:
            raise PrivacyScreenError(f"{path}: a .npy file records no sampling rate; state it")
    if block_size < 1:
        raise PrivacyScreenError(f"block size must be at least 1, got {block_size}")
    try:
        HarmonisationSpec(sampling_rate=sampling_rate)
    except ValueError as exc:
        raise PrivacyScreenError(str(exc)) from exc


def _store_screen(
    result, synthetic_origin, real_origin, spec, syn_ids, training: _Training, reference_source
) -> PrivacyScreen:
    with transaction.atomic():
        screen = PrivacyScreen.objects.create(
            synthetic_origin=synthetic_origin,
            real_origin=real_origin,
            training_folds=training.source.get("folds", []) if training.in_store else [],
            reference_folds=reference_source.get("folds", []),
            training_source=training.source,
            reference_source=reference_source,
            sampling_rate=spec.sampling_rate,
            copy_threshold=result.copy_threshold,
            share_threshold=result.share_threshold,
            summary=result.summary,
        )
        nearest = result.nearest
        ScreenedECG.objects.bulk_create(
            ScreenedECG(
                screen=screen,
                ecg_id=syn_ids[i],
                nearest_id=training.keys[nearest.index[i]] if training.in_store else None,
                nearest_key="" if training.in_store else training.keys[nearest.index[i]],
                dcr=float(nearest.distance[i]),
                nndr=float(nearest.ratio[i]),
                shift_ms=1000.0 * float(nearest.shift[i]) / spec.sampling_rate,
                lead_distances=[round(float(d), 6) for d in result.lead_distances[i]],
                flagged=bool(result.flagged[i]),
            )
            for i in range(len(syn_ids))
        )
    return screen


@contextmanager
def _as_screen_error() -> Iterator[None]:
    """A supplied file's problem, found on opening it or reading a block, as a screen error."""
    try:
        yield
    except RecordFileError as exc:
        raise PrivacyScreenError(str(exc)) from exc


def _harmonise_row(ecg: ECG, spec: HarmonisationSpec, what: str) -> np.ndarray:
    try:
        return harmonise(ecg.signal(), ecg.sampling_rate, spec)
    except ValueError as exc:
        raise PrivacyScreenError(f"{what} ECG {ecg.pk}: {exc}") from exc


def _store_blocks(
    ids: list[int], spec: HarmonisationSpec, what: str, block_size: int
) -> RecordBlocks:
    """Stored ECGs (by id) as blocks of ``block_size``, each read and harmonised when the
    search reaches it."""

    def rows(indices: Sequence[int]) -> np.ndarray:
        wanted = [ids[i] for i in indices]
        found = ECG.objects.only(*SIGNAL_FIELDS).in_bulk(set(wanted))
        missing = sorted(set(wanted) - found.keys())
        if missing:
            raise PrivacyScreenError(f"{what} ECGs {missing[:5]} were deleted during the screen")
        signals = {pk: _harmonise_row(ecg, spec, what) for pk, ecg in found.items()}
        return np.stack([signals[pk] for pk in wanted])

    n = len(ids)
    return RecordBlocks(
        count=n,
        blocks=lambda: (rows(range(a, min(a + block_size, n))) for a in range(0, n, block_size)),
        take=lambda indices: rows([int(i) for i in indices]),
    )


SIGNAL_FIELDS = ("id", "sampling_rate", "signal_blob", "signal_sha256")


def _stacked(rows, spec: HarmonisationSpec, what: str) -> tuple[list[int], np.ndarray]:
    """Ids and harmonised signals (n, 12, samples) of ``rows``, in id order."""
    ids, signals = [], []
    for ecg in rows.only(*SIGNAL_FIELDS).order_by("id").iterator(chunk_size=500):
        signals.append(_harmonise_row(ecg, spec, what))
        ids.append(ecg.pk)
    if not ids:
        raise PrivacyScreenError(f"no {what} ECGs match the selection")
    return ids, np.stack(signals)


def flagged_copy_ids(ecg_ids: Sequence[int]) -> set[int]:
    """The ECGs among ``ecg_ids`` that their latest privacy screen flagged as copies."""
    latest: dict[int, bool] = {}
    rows = ScreenedECG.objects.filter(ecg_id__in=ecg_ids).order_by("screen_id")
    for ecg_id, flagged in rows.values_list("ecg_id", "flagged"):
        latest[ecg_id] = flagged
    return {ecg_id for ecg_id, flagged in latest.items() if flagged}


def screened_ids(ecg_ids: Sequence[int]) -> set[int]:
    """The ECGs among ``ecg_ids`` that some privacy screen has screened."""
    return set(ScreenedECG.objects.filter(ecg_id__in=ecg_ids).values_list("ecg_id", flat=True))


def latest_screens(origins: Sequence[str]) -> list[PrivacyScreen]:
    """The latest screen of each synthetic origin that has one."""
    screens = PrivacyScreen.objects.filter(synthetic_origin__in=origins).order_by("-id")
    latest: dict[str, PrivacyScreen] = {}
    for screen in screens:
        latest.setdefault(screen.synthetic_origin, screen)
    return [latest[origin] for origin in sorted(latest)]


def privacy_screen_summary(screen: PrivacyScreen) -> dict:
    """A screen as reports and dashboards show it: its id, origin and date, where its
    training and reference sets came from (as recorded and in words) and the summary
    figures (``summary``: counts, thresholds, flagged, share below the 5th percentile with
    its CI, membership-inference AUC with its CI)."""
    training = screen.training_source or {
        "kind": "store", "origin": screen.real_origin, "folds": screen.training_folds
    }  # fmt: skip
    reference = screen.reference_source or {
        "kind": "store", "origin": screen.real_origin, "folds": screen.reference_folds
    }  # fmt: skip
    return {
        "id": screen.pk,
        "synthetic_origin": screen.synthetic_origin,
        "created_at": screen.created_at.isoformat(),
        "training_source": training,
        "reference_source": reference,
        "training_text": source_text(training),
        "reference_text": source_text(reference),
        "summary": screen.summary,
    }


def source_text(source: dict) -> str:
    """'ptbxl folds 1, 2, 3' or 'file /data/train.npy (SHA-256 ...; 17000 rows at 100 Hz)'."""
    if source.get("kind") == "file":
        return (
            f"file {source['path']} (SHA-256 {source['sha256']}; {source['rows']} rows at "
            f"{source['sampling_rate']:g} Hz, {source['lead_order']} lead order)"
        )
    folds = ", ".join(str(f) for f in source.get("folds", []))
    return f"{source.get('origin', '?')} folds {folds}" if folds else str(source.get("origin", "?"))
