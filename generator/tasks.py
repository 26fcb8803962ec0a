"""Celery tasks of the generator: thin wrappers that take primary keys and call a service."""

from __future__ import annotations

from celery import shared_task

from generator.models import SamplingJob
from generator.sampling_jobs import sampling_job_run


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, name="generator.tasks.run_sampling_job"
)
def run_sampling_job(self, job_id: int) -> dict:
    """Run a sampling job; a redelivered task resumes where a killed worker stopped."""

    def report(done: int, total: int) -> None:
        if self.request.id and not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    if not SamplingJob.objects.filter(pk=job_id).exists():
        return {"job": job_id, "status": "missing", "done": 0}  # deleted before redelivery
    job = sampling_job_run(job_id=job_id, on_progress=report)
    return {"job": job.pk, "status": job.status, "done": job.done}
