"""A real Celery worker, fed through Redis, samples ECGs into the PostgreSQL store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connection, transaction

from config.celery import app
from generator.models import SamplingJob
from generator.sampling_jobs import sampling_job_create, sampling_job_enqueue
from tests.generator.checkpoints import tiny_checkpoint

ROOT = Path(__file__).resolve().parents[2]
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
    app.control.purge()  # messages a killed worker of an earlier run left unacknowledged
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


def test_killed_worker_loses_and_duplicates_nothing(broker_url, tmp_path):
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "CELERY_BROKER_URL": broker_url,
    }
    with transaction.atomic():
        job = sampling_job_create(
            backend="sssd-nle",
            backend_options={"checkpoint": str(checkpoint), "sampler": "ddim", "steps": 20},
            n=8,
            seed=5,
            labels=["IMI"],
            chunk_size=1,
        )
        sampling_job_enqueue(job=job)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "gpu", "-P", "solo",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while SamplingJob.objects.get(pk=job.pk).done < 2:
            assert worker.poll() is None, "the worker died on its own"
            assert time.monotonic() < deadline, "the worker stored nothing in time"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    stored = job.ecgs.count()
    assert 2 <= stored < 8, "the worker must die mid-job for this test to mean anything"
    kept = dict(job.ecgs.values_list("job_index", "signal_sha256"))

    with start_worker(
        app, queues=["gpu"], pool="solo", perform_ping_check=False, shutdown_timeout=30
    ):
        sampling_job_enqueue(job=job)  # what an admin's "re-queue" does
        deadline = time.monotonic() + 240
        while SamplingJob.objects.get(pk=job.pk).status != "done":
            assert time.monotonic() < deadline, "the re-queued job did not finish"
            time.sleep(0.2)
    job.refresh_from_db()
    assert (job.done, job.ecgs.count()) == (8, 8)
    assert sorted(job.ecgs.values_list("job_index", flat=True)) == list(range(8))
    after = dict(job.ecgs.values_list("job_index", "signal_sha256"))
    assert all(after[index] == digest for index, digest in kept.items())
