"""Celery tasks of the generator and the functions that queue them (thin wrappers that take
primary keys and call the services in ``sampling_jobs``)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import transaction

from generator.models import SamplingJob
from generator.realism import realism_evaluation
from generator.sampling_jobs import (
    CHUNK_MORE,
    refuse_live_lease,
    runner_name,
    sampling_job_reopen,
    sampling_job_run_chunk,
    sampling_jobs_release_expired,
)

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, name="generator.tasks.run_sampling_chunk"
)
def run_sampling_chunk(self, job_id: int) -> dict:
    """Store the job's next missing chunk under a lease, then queue the one after it.

    Eager mode (the demo) runs the remaining chunks in this call instead of queueing them.
    """
    owner = runner_name(self.request.id)
    outcome = sampling_job_run_chunk(job_id=job_id, owner=owner)
    while outcome == CHUNK_MORE and self.request.is_eager:
        outcome = sampling_job_run_chunk(job_id=job_id, owner=owner)
    if outcome == CHUNK_MORE:
        run_sampling_chunk.delay(job_id)
    return {"job": job_id, "outcome": outcome}


def sampling_job_enqueue(*, job: SamplingJob) -> None:
    """Queue the job's next chunk on the ``gpu`` queue once the surrounding transaction
    commits. Refused while another worker holds a live lease on the job."""
    refuse_live_lease(job)

    def send() -> None:
        result = run_sampling_chunk.delay(job.pk)
        SamplingJob.objects.filter(pk=job.pk).update(task_id=result.id or "")

    transaction.on_commit(send)


def sampling_job_requeue(*, job: SamplingJob) -> None:
    """Queue an unfinished job again (it fills in only the missing samples); refused for a
    finished job and for one a live worker holds."""
    with transaction.atomic():
        sampling_job_enqueue(job=sampling_job_reopen(job=job))


@shared_task(name="generator.tasks.requeue_expired_sampling_jobs")
def requeue_expired_sampling_jobs() -> list[int]:
    """Queue again the jobs whose worker died holding the lease (Celery beat runs this)."""
    queued = []
    for job_id in sampling_jobs_release_expired():
        try:
            sampling_job_enqueue(job=SamplingJob.objects.get(pk=job_id))
        except Exception:  # the broker is down: the job expires again and is retried then
            logger.warning("re-queueing sampling job %s failed", job_id, exc_info=True)
        else:
            queued.append(job_id)
    return queued


@shared_task(name="generator.tasks.evaluate_realism")
def evaluate_realism(options: dict) -> int:
    """Run and store a realism evaluation (``realism_evaluation(**options)``); its id."""
    return realism_evaluation(**options).pk


@worker_ready.connect
def _requeue_at_worker_start(sender=None, **kwargs) -> None:
    """A starting worker picks up jobs whose previous worker died."""
    requeue_expired_sampling_jobs()


@shared_task(name="generator.tasks.screen_pool")
def screen_pool(options: dict) -> int:
    """Run and store a privacy screen (``privacy_screen(**options)``); its id."""
    from generator.privacy import privacy_screen

    return privacy_screen(**options).pk


def privacy_screen_enqueue(*, options: dict) -> None:
    """Queue a privacy screen (the options of ``privacy_screen``, JSON-safe) on the gpu
    queue once the surrounding transaction commits; a request that cannot run is refused
    here first (``PrivacyScreenError``). Supplied files must be readable by the worker."""
    from generator.privacy import privacy_screen_check

    privacy_screen_check(**options)
    transaction.on_commit(lambda: screen_pool.delay(options))
