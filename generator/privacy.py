"""Memorisation and privacy screen of a synthetic pool against the store's real ECGs.

Signals are harmonised as a study shows them (default settings at the screen's rate),
screened by ``generator.core.privacy_screen`` and stored as a :class:`PrivacyScreen` with
one :class:`ScreenedECG` per synthetic ECG. Seeding leaves out synthetic ECGs that their
latest screen flagged (:func:`flagged_copy_ids`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.db import transaction

from generator.core.harmonise import HarmonisationSpec, harmonise
from generator.core.privacy_screen import MIN_REFERENCE, screen_pool
from generator.models import ECG, PrivacyScreen, ScreenedECG


class PrivacyScreenError(ValueError):
    """A screen that cannot run: an empty selection or an ECG that cannot be harmonised."""


def privacy_screen(
    *,
    synthetic_origin: str,
    reference_folds: Sequence[int],
    training_folds: Sequence[int] = (),
    real_origin: str = "ptbxl",
    sampling_rate: float = 100.0,
    min_reference: int = MIN_REFERENCE,
) -> PrivacyScreen:
    """Screen every synthetic ECG of ``synthetic_origin`` against the real ECGs of
    ``real_origin`` in ``training_folds`` (all folds but the reference ones when empty),
    with the real ECGs of ``reference_folds`` as the held-out reference."""
    if not reference_folds:
        raise PrivacyScreenError("name the held-out reference folds")
    overlap = sorted(set(training_folds) & set(reference_folds))
    if overlap:
        raise PrivacyScreenError(f"folds {overlap} are both training and reference folds")
    try:
        spec = HarmonisationSpec(sampling_rate=sampling_rate)
    except ValueError as exc:
        raise PrivacyScreenError(str(exc)) from exc
    real = ECG.objects.real().filter(origin=real_origin)
    training = (
        real.filter(strat_fold__in=training_folds)
        if training_folds
        else real.exclude(strat_fold__in=reference_folds).exclude(strat_fold=None)
    )
    selections = {
        "synthetic": ECG.objects.synthetic().filter(origin=synthetic_origin),
        "training": training,
        "reference": real.filter(strat_fold__in=reference_folds),
    }
    loaded = {name: _harmonised(rows, spec, name) for name, rows in selections.items()}
    (syn_ids, syn), (train_ids, train), (_, ref) = loaded.values()
    try:
        result = screen_pool(syn, train, ref, spec.sampling_rate, min_reference=min_reference)
    except ValueError as exc:
        raise PrivacyScreenError(str(exc)) from exc
    with transaction.atomic():
        screen = PrivacyScreen.objects.create(
            synthetic_origin=synthetic_origin,
            real_origin=real_origin,
            training_folds=sorted(set(training.values_list("strat_fold", flat=True))),
            reference_folds=sorted(reference_folds),
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
                nearest_id=train_ids[nearest.index[i]],
                dcr=float(nearest.distance[i]),
                nndr=float(nearest.ratio[i]),
                shift_ms=1000.0 * float(nearest.shift[i]) / spec.sampling_rate,
                lead_distances=[round(float(d), 6) for d in result.lead_distances[i]],
                flagged=bool(result.flagged[i]),
            )
            for i in range(len(syn_ids))
        )
    return screen


def _harmonised(rows, spec: HarmonisationSpec, what: str) -> tuple[list[int], np.ndarray]:
    """Ids and harmonised signals (n, 12, samples) of ``rows``, in id order."""
    ids, signals = [], []
    for ecg in rows.order_by("id").iterator(chunk_size=500):
        try:
            signals.append(harmonise(ecg.signal(), ecg.sampling_rate, spec))
        except ValueError as exc:
            raise PrivacyScreenError(f"{what} ECG {ecg.pk}: {exc}") from exc
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
