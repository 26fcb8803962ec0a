"""Sampling jobs: generate synthetic ECGs into the store in resumable, deterministic chunks.

A job runs one chunk at a time under a lease: the runner claims the job with a conditional
UPDATE, renews the lease from a heartbeat thread while the chunk is generated, and releases
it after storing the chunk. A worker that dies stops renewing; once its lease has run out,
``tasks.requeue_expired_sampling_jobs`` (Celery beat, and every worker at start) queues
the job again and another worker fills in exactly the missing samples. Queueing lives in
``generator/tasks.py``; this module never imports it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from generator.backends.base import (
    GeneratorBackend,
    available_backends,
    backend_is_conditional,
    get_backend,
)
from generator.core.scp import STATEMENT_BY_CODE
from generator.models import ECG, SamplingJob
from generator.records.types import EcgRecord
from generator.records.usable import PLAUSIBLE_PEAK_MV
from generator.services import ecg_import

ProgressCallback = Callable[[int, int], None]
logger = logging.getLogger(__name__)


class SamplingJobError(ValueError):
    """A sampling request that cannot be run (unknown backend, bad labels, empty match)."""


def parse_match_query(raw: str) -> dict[str, list[str]]:
    """Parse ``origin=ptbxl;folds=9,10;superclass=MI`` into filter lists."""
    allowed = {"origin", "folds", "superclass", "label_set"}
    query: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in allowed or not value.strip():
            raise SamplingJobError(
                f"match query part {part!r}: expected KEY=VALUE with KEY in {sorted(allowed)}"
            )
        query[key] = [v.strip() for v in value.split(",") if v.strip()]
    return query


def matched_real_ecgs(query: dict[str, list[str]], n: int) -> list[ECG]:
    """The first ``n`` stored real ECGs (by id) that satisfy a parsed match query."""
    ecgs = ECG.objects.real().without_signal()
    if "origin" in query:
        ecgs = ecgs.filter(origin__in=query["origin"])
    if "folds" in query:
        try:
            ecgs = ecgs.filter(strat_fold__in=[int(f) for f in query["folds"]])
        except ValueError as exc:
            raise SamplingJobError(f"folds must be integers: {query['folds']}") from exc
    if "label_set" in query:
        ecgs = ecgs.filter(label_set__in=query["label_set"])
    chosen = [
        ecg
        for ecg in ecgs.order_by("id")
        if "superclass" not in query or set(query["superclass"]) & set(ecg.superclasses)
    ][:n]
    if not chosen:
        raise SamplingJobError(f"no stored real ECG matches {query}")
    if len(chosen) < n:
        raise SamplingJobError(
            f"only {len(chosen)} stored real ECG(s) match {query}, fewer than the {n} asked for; "
            f"ask for at most {len(chosen)} or widen the query"
        )
    return chosen


@transaction.atomic
def sampling_job_create(
    *,
    backend: str,
    n: int,
    seed: int,
    labels: list[str] | None = None,
    match_query: str | None = None,
    backend_options: dict | None = None,
    chunk_size: int = 8,
    origin: str | None = None,
) -> SamplingJob:
    """Record a job of ``n`` samples conditioned on ``labels`` or on matched real ECGs."""
    known = available_backends()
    if backend not in known:
        raise SamplingJobError(f"unknown generator backend {backend!r}; known: {sorted(known)}")
    if n < 1 or chunk_size < 1:
        raise SamplingJobError("n and chunk size must be at least 1")
    conditional = backend_is_conditional(backend)
    if conditional and (labels is None) == (match_query is None):
        raise SamplingJobError("give exactly one of labels or a match query")
    if not conditional and labels is not None:
        raise SamplingJobError(f"{backend} is unconditional: it takes no labels")
    matched: list[int] = []
    if labels is None and match_query is None:
        label_sets: list[list[str]] = [[]] * n
    elif labels is not None:
        unknown = [code for code in labels if code not in STATEMENT_BY_CODE]
        if unknown:
            raise SamplingJobError(f"unknown SCP statements: {', '.join(unknown)}")
        label_sets = [sorted(set(labels))] * n
    else:
        real = matched_real_ecgs(parse_match_query(match_query or ""), n)
        label_sets = [sorted(ecg.scp_codes) for ecg in real]
        matched = [ecg.pk for ecg in real]
    return SamplingJob.objects.create(
        backend=backend,
        backend_options=backend_options or {},
        origin=origin or f"generator:{backend}",
        label_sets=label_sets,
        matched_ecg_ids=matched,
        seed=seed,
        chunk_size=chunk_size,
    )


def refuse_live_lease(job: SamplingJob) -> None:
    """SamplingJobError when a live worker holds the job (queueing it again is pointless)."""
    if lease_is_live(job):
        raise SamplingJobError(
            f"job {job.pk} is running on {job.lease_owner} (lease until "
            f"{job.lease_expires_at:%H:%M:%S}); it needs no re-queue"
        )


@transaction.atomic
def sampling_job_reopen(*, job: SamplingJob) -> SamplingJob:
    """Make an unfinished job runnable again (``tasks.sampling_job_requeue`` queues it):
    refused for a finished job and for one a live worker holds."""
    job = SamplingJob.objects.select_for_update().get(pk=job.pk)
    if job.status == SamplingJob.Status.DONE:
        raise SamplingJobError(f"job {job.pk} is done; nothing to re-queue")
    refuse_live_lease(job)
    SamplingJob.objects.filter(pk=job.pk).update(
        cancel_requested=False, status=SamplingJob.Status.QUEUED, error=""
    )
    job.refresh_from_db()
    return job


@transaction.atomic
def sampling_job_cancel(*, job: SamplingJob) -> SamplingJob:
    """Stop an unfinished job: one a live worker holds stops after its current chunk, any
    other (queued, or its worker gone) is cancelled now. A finished job (done, failed or
    cancelled) raises SamplingJobError; its ECGs stay stored either way."""
    job = SamplingJob.objects.select_for_update().get(pk=job.pk)
    unfinished = (SamplingJob.Status.QUEUED, SamplingJob.Status.RUNNING)
    if job.status not in unfinished:
        raise SamplingJobError(f"job {job.pk} is already {job.status}; nothing to cancel")
    if lease_is_live(job):
        SamplingJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    else:
        # The lease goes too: a worker past its lease that is still finishing a chunk can
        # then neither renew it nor write its end state over the cancellation.
        SamplingJob.objects.filter(pk=job.pk).update(
            cancel_requested=True,
            status=SamplingJob.Status.CANCELLED,
            lease_owner="",
            lease_expires_at=None,
        )
    job.refresh_from_db()
    return job


def lease_seconds() -> float:
    """How long a claim lasts without renewal (settings.SAMPLING_LEASE_S)."""
    return float(settings.SAMPLING_LEASE_S)


def lease_is_live(job: SamplingJob) -> bool:
    """Whether a worker holds an unexpired lease on the job (as last read)."""
    return (
        bool(job.lease_owner)
        and job.lease_expires_at is not None
        and job.lease_expires_at > timezone.now()
    )


def sampling_job_claim(*, job_id: int, owner: str) -> bool:
    """Take (or renew) the job's lease for ``owner`` with one conditional UPDATE: only a
    queued or running job whose lease is free, expired or already ``owner``'s."""
    now = timezone.now()
    # Free (no owner: between chunks, or never run), expired (dead worker) or our own.
    claimable = (
        Q(lease_owner="")
        | Q(lease_expires_at__isnull=True)
        | Q(lease_expires_at__lt=now)
        | Q(lease_owner=owner)
    )
    updated = SamplingJob.objects.filter(
        claimable,
        pk=job_id,
        status__in=(SamplingJob.Status.QUEUED, SamplingJob.Status.RUNNING),
    ).update(
        lease_owner=owner,
        lease_expires_at=now + timedelta(seconds=lease_seconds()),
        status=SamplingJob.Status.RUNNING,
    )
    return updated == 1


def sampling_job_release(*, job_id: int, owner: str, **changes) -> None:
    """Give the lease back (with any final field ``changes``) if ``owner`` still holds it.

    While the job runs on, the expiry stays one lease ahead: if the task queued for the next
    chunk never arrives (the broker lost it), the job counts as expired then and is queued
    again."""
    finished = changes.get("status", SamplingJob.Status.RUNNING) != SamplingJob.Status.RUNNING
    SamplingJob.objects.filter(pk=job_id, lease_owner=owner).update(
        lease_owner="", lease_expires_at=None if finished else _lease_end(), **changes
    )


def _lease_end():
    return timezone.now() + timedelta(seconds=lease_seconds())


def sampling_jobs_release_expired() -> list[int]:
    """Running jobs whose lease ran out (a dead worker, or a next-chunk task that never came):
    their expiry moves one lease ahead (so a failed re-queue is retried then) and their ids
    are returned for ``tasks.requeue_expired_sampling_jobs`` to queue again."""
    now = timezone.now()
    running = SamplingJob.objects.filter(status=SamplingJob.Status.RUNNING)
    expired = running.filter(lease_expires_at__lt=now)
    released = []
    for job_id in expired.values_list("pk", flat=True):
        if SamplingJob.objects.filter(pk=job_id, lease_expires_at__lt=now).update(
            lease_owner="", lease_expires_at=_lease_end()
        ):
            released.append(job_id)
    return released


def runner_name(task_id: str | None = None) -> str:
    """A lease owner name unique to this process (and task)."""
    return f"{socket.gethostname()}:{os.getpid()}:{task_id or 'local'}"


class Heartbeat:
    """Renews the lease every third of its length from a thread while a chunk runs, for at
    most ``settings.SAMPLING_CHUNK_MAX_S``: a chunk hung past that (a stuck device call)
    lets its lease run out, so the job moves to another worker instead of staying held."""

    def __init__(self, job_id: int, owner: str):
        self.job_id, self.owner = job_id, owner
        self.stop = threading.Event()
        self.renewals = 0
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        deadline = time.monotonic() + float(settings.SAMPLING_CHUNK_MAX_S)
        try:
            while not self.stop.wait(lease_seconds() / 3):
                if time.monotonic() > deadline:
                    logger.warning("chunk of job %s exceeds its time; lease left to expire",
                                   self.job_id)  # fmt: skip
                    return
                try:
                    sampling_job_claim(job_id=self.job_id, owner=self.owner)
                    self.renewals += 1
                except DatabaseError:  # a database blip: try again at the next beat
                    logger.warning("lease renewal of job %s failed", self.job_id, exc_info=True)
                    connection.close()
        finally:
            connection.close()  # this thread's own database connection


# Backends that keep S4 kernel spectra on disk (in settings.GENERATOR_KERNEL_CACHE_DIR).
KERNEL_CACHE_BACKENDS = frozenset({"sssd-nle"})


def backend_build(name: str, options: dict) -> GeneratorBackend:
    """The backend ``name`` with a job's ``options``, given the kernel cache directory."""
    if name in KERNEL_CACHE_BACKENDS and settings.GENERATOR_KERNEL_CACHE_DIR:
        options = {"kernel_cache_dir": settings.GENERATOR_KERNEL_CACHE_DIR, **options}
    return get_backend(name, **options)


CHUNK_DONE, CHUNK_MORE, CHUNK_BUSY, CHUNK_GONE = "done", "more", "busy", "gone"


def sampling_job_run_chunk(
    *, job_id: int, owner: str, backend: GeneratorBackend | None = None
) -> str:
    """Claim the job and store its first chunk with missing samples.

    Returns ``"more"`` when chunks remain (queue the next), ``"done"`` when the job is
    complete, cancelled or failed, ``"busy"`` when another live worker holds the lease and
    ``"gone"`` when the job no longer exists or is finished.
    """
    if not SamplingJob.objects.filter(pk=job_id).exists():
        return CHUNK_GONE
    if not sampling_job_claim(job_id=job_id, owner=owner):
        job = SamplingJob.objects.get(pk=job_id)
        return CHUNK_BUSY if job.status == SamplingJob.Status.RUNNING else CHUNK_GONE
    job = SamplingJob.objects.get(pk=job_id)
    if job.cancel_requested:
        sampling_job_release(job_id=job_id, owner=owner, status=SamplingJob.Status.CANCELLED)
        return CHUNK_DONE
    missing = _missing_chunks(job)
    if missing:
        try:
            with Heartbeat(job_id, owner):
                backend = backend or backend_build(job.backend, job.backend_options)
                _run_chunk(job, backend, missing[0])
        except Exception as exc:
            sampling_job_release(
                job_id=job_id,
                owner=owner,
                status=SamplingJob.Status.FAILED,
                error=f"{type(exc).__name__}: {exc}",
            )
            raise
    done = job.ecgs.count()
    if len(missing) > 1:
        sampling_job_release(job_id=job_id, owner=owner, done=done, error="")
        return CHUNK_MORE
    sampling_job_release(
        job_id=job_id, owner=owner, done=done, error="", status=SamplingJob.Status.DONE
    )
    return CHUNK_DONE


def sampling_job_run(
    *,
    job_id: int,
    on_progress: ProgressCallback | None = None,
    backend: GeneratorBackend | None = None,
) -> SamplingJob:
    """Run the whole job here, chunk by chunk under the lease (the CLI and the demo).

    Each chunk is stored in its own transaction and a chunk already stored is skipped, so
    re-running a job after a crash neither loses nor duplicates samples. ``backend`` is an
    already built backend for the job's settings (else it is built here). Raises
    SamplingJobError when another worker holds the job.
    """
    job = SamplingJob.objects.get(pk=job_id)
    if job.status in (SamplingJob.Status.DONE, SamplingJob.Status.CANCELLED):
        return job
    SamplingJob.objects.filter(pk=job_id, status=SamplingJob.Status.FAILED).update(
        status=SamplingJob.Status.QUEUED
    )
    owner = runner_name()
    backend = backend or backend_build(job.backend, job.backend_options)
    while True:
        outcome = sampling_job_run_chunk(job_id=job_id, owner=owner, backend=backend)
        job.refresh_from_db()
        if outcome == CHUNK_BUSY:
            raise SamplingJobError(f"job {job_id} is running on {job.lease_owner}")
        if on_progress is not None:
            on_progress(job.done, job.n)
        if outcome != CHUNK_MORE:
            return job


def _missing_chunks(job: SamplingJob) -> list[int]:
    stored = set(job.ecgs.values_list("job_index", flat=True))
    return [
        chunk
        for chunk in range(job.n_chunks)
        if not set(range(chunk * job.chunk_size, min((chunk + 1) * job.chunk_size, job.n)))
        <= stored
    ]


def _run_chunk(job: SamplingJob, backend, chunk: int) -> None:
    start = chunk * job.chunk_size
    indices = range(start, min(start + job.chunk_size, job.n))
    stored = set(job.ecgs.filter(job_index__in=indices).values_list("job_index", flat=True))
    if stored == set(indices):
        return
    label_sets = [job.label_sets[i] for i in indices]
    signals = backend.generate(label_sets, job.seed, start_index=start)
    provenance = backend.provenance()
    records = [
        EcgRecord(
            source_key=f"job:{job.pk}:{index}",
            signal=signal,
            sampling_rate=float(backend.sampling_rate),
            source="synthetic",
            origin=job.origin,
            scp_codes={code: 100.0 for code in label_sets[offset]},
            generator_name=str(provenance.get("generator", job.backend)),
            checkpoint_sha256=str(provenance.get("checkpoint_sha256", "")),
            seed=job.seed,
            sampler_settings=provenance,
            conditioning_labels=list(label_sets[offset]),
            provenance={
                "job": job.pk,
                "index": index,
                "matched_ecg": _matched(job, index),
            },
            sampling_job_id=job.pk,
            job_index=index,
        )
        for offset, (index, signal) in enumerate(zip(indices, signals, strict=True))
        if index not in stored
    ]
    summary = ecg_import(records=records)  # flags implausible amplitudes in provenance
    for source_key, peak in summary.flagged:
        logger.warning(
            "%s peaks at %.1f mV (> %.0f mV): implausible amplitude, stored flagged and "
            "left out of studies",
            source_key, peak, PLAUSIBLE_PEAK_MV,
        )  # fmt: skip


def _matched(job: SamplingJob, index: int) -> int | None:
    return job.matched_ecg_ids[index] if job.matched_ecg_ids else None
