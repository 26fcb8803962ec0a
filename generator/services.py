"""Writes to the ECG store: transactional, idempotent imports of validated records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
from django.db import transaction

from generator.core.scp import label_set_key, superclasses_of
from generator.core.signal_codec import encode_signal, signal_sha256
from generator.core.validation import SignalError, check_signal
from generator.models import ECG
from generator.records.errors import RecordError
from generator.records.types import EcgRecord
from generator.records.usable import IMPLAUSIBLE_PEAK_KEY, amplitude_flag

_BATCH = 200
# What a re-import compares with the ECG already stored under the same source key.
_COMPARED = (
    "source",
    "origin",
    "sampling_rate",
    "n_samples",
    "signal_sha256",
    "scp_codes",
    "provenance",
)


@dataclass
class ImportSummary:
    """What an import did; ``differing`` counts the already stored ECGs that differ from
    the import, per metadata (field name -> ECGs), and ``n_differing`` those ECGs."""

    added: int = 0
    skipped: int = 0
    differing: Counter[str] = field(default_factory=Counter)
    n_differing: int = 0
    # (source key, peak mV) of each added ECG stored flagged with an implausible amplitude
    flagged: list[tuple[str, float]] = field(default_factory=list)

    def line(self, what: str) -> str:
        """The one-line summary printed at the end of an import command."""
        return f"{what}: {self.added} added, {self.skipped} already stored ({self.total} in all)"

    def differing_line(self) -> str:
        """The warning that already stored ECGs differ from what this import asked for."""
        fields = ", ".join(f"{name} ({count})" for name, count in sorted(self.differing.items()))
        return (
            f"{self.n_differing} already stored ECGs differ from this import in: {fields}. "
            "They were kept as stored: stored research data is never rewritten."
        )

    @property
    def total(self) -> int:
        return self.added + self.skipped


def ecg_build(record: EcgRecord) -> ECG:
    """An unsaved :class:`ECG` from a record, after validating its signal; a signal beyond
    the plausible amplitude is flagged in its provenance (seeding leaves it out)."""
    try:
        signal = check_signal(record.signal, record.sampling_rate, what=record.source_key)
    except SignalError as exc:
        raise RecordError(record.provenance.get("file", record.source_key), str(exc)) from exc
    blob, digest = encode_signal(signal)
    codes = sorted(record.scp_codes)
    return ECG(
        source=record.source,
        origin=record.origin,
        source_key=record.source_key,
        sampling_rate=record.sampling_rate,
        n_samples=signal.shape[1],
        signal_blob=blob,
        signal_sha256=digest,
        scp_codes=record.scp_codes,
        superclasses=superclasses_of(codes),
        label_set=label_set_key(codes),
        dataset_ecg_id=record.dataset_ecg_id,
        patient_id=record.patient_id,
        strat_fold=record.strat_fold,
        generator_name=record.generator_name,
        checkpoint_sha256=record.checkpoint_sha256,
        seed=record.seed,
        sampler_settings=record.sampler_settings,
        conditioning_labels=record.conditioning_labels,
        provenance={**record.provenance, **amplitude_flag(signal)},
        sampling_job_id=record.sampling_job_id,
        job_index=record.job_index,
    )


@transaction.atomic
def ecg_import(
    *, records: Iterable[EcgRecord], on_progress: Callable[[int], None] | None = None
) -> ImportSummary:
    """Store every record not stored yet, all or nothing.

    Records whose ``source_key`` is already in the store are skipped, so re-running an
    import adds nothing; the summary counts those whose stored metadata differ from the
    record. Any invalid record raises and rolls back the whole import.
    """
    summary = ImportSummary()
    for batch in _batches(records, _BATCH):
        keys = [record.source_key for record in batch]
        stored = {
            row["source_key"]: row
            for row in ECG.objects.filter(source_key__in=keys).values("source_key", *_COMPARED)
        }
        fresh: dict[str, ECG] = {}
        for record in batch:
            if record.source_key in stored:
                summary.skipped += 1
                differences = _differences(record, stored[record.source_key])
                summary.differing.update(differences)
                summary.n_differing += bool(differences)
            elif record.source_key in fresh:
                summary.skipped += 1
            else:
                fresh[record.source_key] = ecg_build(record)
        # ON CONFLICT DO NOTHING: a record another process stored meanwhile is not an error.
        ECG.objects.bulk_create(fresh.values(), ignore_conflicts=True)
        summary.added += len(fresh)
        summary.flagged += [
            (key, ecg.provenance[IMPLAUSIBLE_PEAK_KEY])
            for key, ecg in fresh.items()
            if IMPLAUSIBLE_PEAK_KEY in ecg.provenance
        ]
        if on_progress is not None:
            on_progress(len(batch))
    return summary


def _differences(record: EcgRecord, stored: dict) -> list[str]:
    """The metadata (field names) in which ``record`` differs from ``stored``, the values
    of :data:`_COMPARED` of the ECG stored under its source key."""
    signal = np.asarray(record.signal, dtype=np.float32)  # as ecg_build stores it
    wanted = {
        "source": record.source,
        "origin": record.origin,
        "sampling_rate": record.sampling_rate,
        "n_samples": signal.shape[-1],
        "signal_sha256": signal_sha256(signal),  # the samples, e.g. in another lead order
        "scp_codes": record.scp_codes,
        "provenance": {**record.provenance, **amplitude_flag(signal)},
    }
    return [name for name in _COMPARED if wanted[name] != stored[name]]


def stored_source_keys(prefix: str) -> frozenset[str]:
    """Source keys already in the store that start with ``prefix``."""
    keys = ECG.objects.filter(source_key__startswith=prefix).values_list("source_key", flat=True)
    return frozenset(keys)


def _batches(items: Iterable[EcgRecord], size: int) -> Iterator[list[EcgRecord]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
