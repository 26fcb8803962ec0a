"""A real Celery worker, fed through Redis, samples ECGs into the PostgreSQL store."""

from __future__ import annotations

import os

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from config.celery import app
from generator.models import SamplingJob
from generator.sampling_jobs import sampling_job_create, sampling_job_enqueue
from tests.generator.checkpoints import tiny_checkpoint

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("CELERY_BROKER_URL is not a Redis URL; the worker test needs a real broker")
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError as exc:
        pytest.skip(f"Redis at {url} is not reachable: {exc}")
    return url


def test_worker_round_trip_samples_into_the_store(broker_url, tmp_path):
    assert not app.conf.task_always_eager
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    with start_worker(
        app, queues=["gpu"], pool="solo", perform_ping_check=False, shutdown_timeout=30
    ):
        with transaction.atomic():
            job = sampling_job_create(
                backend="sssd-nle",
                backend_options={"checkpoint": str(checkpoint), "sampler": "ddim", "steps": 4},
                n=3,
                seed=11,
                labels=["NORM", "SR"],
                chunk_size=2,
            )
            sampling_job_enqueue(job=job)
        job.refresh_from_db()
        assert job.task_id  # queued after commit, on the gpu queue
        result = app.AsyncResult(job.task_id)
        outcome = result.get(timeout=240)
    job.refresh_from_db()
    assert outcome == {"job": job.pk, "status": "done", "done": 3}
    assert (job.status, job.done, job.ecgs.count()) == ("done", 3, 3)
    assert sorted(job.ecgs.values_list("job_index", flat=True)) == [0, 1, 2]
    assert SamplingJob.objects.get(pk=job.pk).ecgs.first().signal().shape == (12, 1000)
