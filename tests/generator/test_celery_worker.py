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
from generator.sampling_jobs import sampling_job_create, sampling_job_run
from generator.tasks import sampling_job_enqueue
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
        first = app.AsyncResult(job.task_id).get(timeout=240)
        assert first == {"job": job.pk, "outcome": "more"}  # chunk 1 of 2, then it queues chunk 2
        _wait_for(lambda: SamplingJob.objects.get(pk=job.pk).status == "done", 240)
    job.refresh_from_db()
    assert (job.status, job.done, job.ecgs.count()) == ("done", 3, 3)
    assert (job.lease_owner, job.lease_expires_at) == ("", None)
    assert sorted(job.ecgs.values_list("job_index", flat=True)) == [0, 1, 2]
    assert SamplingJob.objects.get(pk=job.pk).ecgs.first().signal().shape == (12, 1000)


def _wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_killed_workers_job_completes_on_another_worker_without_manual_action(
    broker_url, tmp_path
):
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    options = {"checkpoint": str(checkpoint), "sampler": "ddim", "steps": 20}
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "CELERY_BROKER_URL": broker_url,
        "SAMPLING_LEASE_S": str(LEASE_S),
    }
    with transaction.atomic():
        job = sampling_job_create(
            backend="sssd-nle", backend_options=options, n=8, seed=5, labels=["IMI"],
            chunk_size=1,
        )  # fmt: skip
        sampling_job_enqueue(job=job)
    first = _worker(env, "first")
    try:
        _wait_for(lambda: SamplingJob.objects.get(pk=job.pk).done >= 2, 180)
        assert first.poll() is None, "the worker died on its own"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    killed_at = time.monotonic()
    stored = SamplingJob.objects.get(pk=job.pk)
    assert 2 <= stored.done < 8, "the worker must die mid-job for this test to mean anything"
    kept = dict(job.ecgs.values_list("job_index", "signal_sha256"))

    # A second worker with Celery beat; nobody re-queues anything by hand.
    second = _worker(env, "second", "--beat", "--schedule", str(tmp_path / "beat-schedule"))
    try:
        _wait_for(lambda: SamplingJob.objects.get(pk=job.pk).status == "done", 240)
    finally:
        second.terminate()
        second.wait(timeout=30)
    job.refresh_from_db()
    assert (job.done, job.ecgs.count()) == (8, 8)
    assert sorted(job.ecgs.values_list("job_index", flat=True)) == list(range(8))
    after = dict(job.ecgs.values_list("job_index", "signal_sha256"))
    assert all(after[index] == digest for index, digest in kept.items())
    assert time.monotonic() - killed_at < 240

    reference = sampling_job_run(
        job_id=sampling_job_create(
            backend="sssd-nle",
            backend_options=options,
            n=8,
            seed=5,
            labels=["IMI"],
            chunk_size=1,
        ).pk  # fmt: skip
    )
    uninterrupted = dict(reference.ecgs.values_list("job_index", "signal_sha256"))
    assert after == uninterrupted


LEASE_S = 4


def _worker(env: dict, name: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "gpu",
         "-P", "solo", "-n", f"{name}@%h", "--loglevel", "WARNING", *extra],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
