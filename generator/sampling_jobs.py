"""Sampling jobs: generate synthetic ECGs into the store in resumable, deterministic chunks."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from generator.backends.base import GeneratorBackend, available_backends, get_backend
from generator.core.scp import STATEMENT_BY_CODE
from generator.models import ECG, SamplingJob
from generator.records.types import EcgRecord
from generator.services import ecg_import

ProgressCallback = Callable[[int, int], None]


class SamplingJobError(ValueError):
    """A sampling request that cannot be run (unknown backend, bad labels, empty match)."""


class SamplingJobCancelled(RuntimeError):
    """Raised inside a run when the job was cancelled between chunks."""


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
    if (labels is None) == (match_query is None):
        raise SamplingJobError("give exactly one of labels or a match query")
    matched: list[int] = []
    if labels is not None:
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


def sampling_job_enqueue(*, job: SamplingJob) -> None:
    """Queue the job on the ``gpu`` Celery queue once the surrounding transaction commits."""
    from generator.tasks import run_sampling_job

    def send() -> None:
        result = run_sampling_job.delay(job.pk)
        SamplingJob.objects.filter(pk=job.pk).update(task_id=result.id or "")

    transaction.on_commit(send)


def sampling_job_cancel(*, job: SamplingJob) -> None:
    """Ask a running job to stop after its current chunk."""
    SamplingJob.objects.filter(pk=job.pk).update(cancel_requested=True)


def sampling_job_run(
    *,
    job_id: int,
    on_progress: ProgressCallback | None = None,
    backend: GeneratorBackend | None = None,
) -> SamplingJob:
    """Generate every sample of the job not yet in the store, chunk by chunk.

    Each chunk is stored in its own transaction; a chunk already stored is skipped, so
    re-running a job after a crash neither loses nor duplicates samples. ``backend`` is
    an already built backend for the job's settings (else it is built here).
    """
    job = SamplingJob.objects.get(pk=job_id)
    SamplingJob.objects.filter(pk=job.pk).update(status=SamplingJob.Status.RUNNING, error="")
    try:
        backend = backend or get_backend(job.backend, **job.backend_options)
        for chunk in range(job.n_chunks):
            if SamplingJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                raise SamplingJobCancelled(f"job {job.pk} cancelled")
            _run_chunk(job, backend, chunk)
            done = job.ecgs.count()
            SamplingJob.objects.filter(pk=job.pk).update(done=done)
            if on_progress is not None:
                on_progress(done, job.n)
    except SamplingJobCancelled:
        SamplingJob.objects.filter(pk=job.pk).update(status=SamplingJob.Status.CANCELLED)
    except Exception as exc:
        SamplingJob.objects.filter(pk=job.pk).update(
            status=SamplingJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    else:
        SamplingJob.objects.filter(pk=job.pk).update(status=SamplingJob.Status.DONE)
    job.refresh_from_db()
    return job


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
            provenance={"job": job.pk, "index": index, "matched_ecg": _matched(job, index)},
            sampling_job_id=job.pk,
            job_index=index,
        )
        for offset, (index, signal) in enumerate(zip(indices, signals, strict=True))
        if index not in stored
    ]
    ecg_import(records=records)


def _matched(job: SamplingJob, index: int) -> int | None:
    return job.matched_ecg_ids[index] if job.matched_ecg_ids else None
