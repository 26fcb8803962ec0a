"""Celery tasks of the generator: thin wrappers that take primary keys and call a service."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready

from generator.sampling_jobs import (
    CHUNK_MORE,
    runner_name,
    sampling_job_run_chunk,
    sampling_jobs_requeue_expired,
)


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


@shared_task(name="generator.tasks.requeue_expired_sampling_jobs")
def requeue_expired_sampling_jobs() -> list[int]:
    """Queue again the jobs whose worker died holding the lease (run by Celery beat)."""
    return sampling_jobs_requeue_expired()


@worker_ready.connect
def _requeue_at_worker_start(sender=None, **kwargs) -> None:
    """A starting worker picks up jobs whose previous worker died."""
    sampling_jobs_requeue_expired()
