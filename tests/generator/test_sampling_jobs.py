"""Sampling jobs write synthetic ECGs with provenance, resume without loss or duplicates."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import numpy as np
import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from generator.backends.base import get_backend
from generator.core.leads import einthoven_error
from generator.core.s4 import S4
from generator.models import ECG, SamplingJob
from generator.records.types import EcgRecord
from generator.sampling_jobs import (
    Heartbeat,
    SamplingJobError,
    _run_chunk,
    sampling_job_cancel,
    sampling_job_claim,
    sampling_job_create,
    sampling_job_release,
    sampling_job_run,
    sampling_job_run_chunk,
)
from generator.services import ecg_import
from generator.tasks import (
    requeue_expired_sampling_jobs,
    run_sampling_chunk,
    sampling_job_requeue,
)
from tests.generator.checkpoints import tiny_checkpoint

pytestmark = pytest.mark.django_db
DDIM = {"sampler": "ddim", "steps": 8, "batch_size": 4}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt")


def make_job(checkpoint, **kwargs) -> SamplingJob:
    defaults = {"backend": "sssd-nle", "n": 5, "seed": 7, "labels": ["NORM", "SR"], "chunk_size": 2}
    options = {"checkpoint": str(checkpoint), **DDIM}
    return sampling_job_create(backend_options=options, **{**defaults, **kwargs})


def test_job_stores_every_sample_with_provenance(checkpoint):
    job = sampling_job_run(job_id=make_job(checkpoint).pk)
    assert (job.status, job.done) == ("done", 5)
    ecgs = list(job.ecgs.order_by("job_index"))
    assert [e.job_index for e in ecgs] == [0, 1, 2, 3, 4]
    first = ecgs[0]
    assert first.source == "synthetic" and first.origin == "generator:sssd-nle"
    assert first.label_set == "NORM_SR" and first.conditioning_labels == ["NORM", "SR"]
    assert first.seed == 7 and len(first.checkpoint_sha256) == 64
    assert first.sampler_settings["sampler"] == "ddim" and first.sampler_settings["steps"] == 8
    signal = first.signal()
    assert signal.shape == (12, 1000) and np.isfinite(signal).all()
    assert einthoven_error(signal.astype(np.float64)) < 1e-5


def test_rerun_after_a_crash_neither_loses_nor_duplicates(checkpoint):
    reference = sampling_job_run(job_id=make_job(checkpoint).pk)
    expected = [e.signal() for e in reference.ecgs.order_by("job_index")]
    job = make_job(checkpoint)
    backend = get_backend(job.backend, **job.backend_options)
    _run_chunk(job, backend, 1)  # a worker died after storing only its second chunk
    kept = job.ecgs.get(job_index=2).signal_sha256
    job = sampling_job_run(job_id=job.pk)
    assert job.ecgs.count() == 5 and job.done == 5
    assert job.ecgs.get(job_index=2).signal_sha256 == kept
    for index, signal in enumerate(expected):  # same seed -> the same ECGs, chunk by chunk
        np.testing.assert_array_equal(job.ecgs.get(job_index=index).signal(), signal)


def test_a_queued_job_is_cancelled_at_once_and_never_runs(checkpoint):
    job = sampling_job_cancel(job=make_job(checkpoint))
    assert job.status == "cancelled"
    assert sampling_job_run_chunk(job_id=job.pk, owner="worker-a") == "gone"
    job = sampling_job_run(job_id=job.pk)
    assert job.status == "cancelled" and job.ecgs.count() == 0


def test_a_running_job_stops_after_its_current_chunk(checkpoint):
    job = make_job(checkpoint)
    assert sampling_job_run_chunk(job_id=job.pk, owner="worker-a") == "more"
    assert sampling_job_claim(job_id=job.pk, owner="worker-a")  # working on the next chunk
    job = sampling_job_cancel(job=job)
    assert (job.status, job.cancel_requested) == ("running", True)
    assert sampling_job_run_chunk(job_id=job.pk, owner="worker-a") == "done"
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.ecgs.count()) == ("cancelled", "", 2)


def test_a_running_job_whose_worker_is_gone_is_cancelled_at_once(checkpoint):
    job = make_job(checkpoint)
    assert sampling_job_claim(job_id=job.pk, owner="worker-a")
    SamplingJob.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    job = sampling_job_cancel(job=job)
    assert (job.status, job.lease_owner, job.lease_expires_at) == ("cancelled", "", None)
    assert requeue_expired_sampling_jobs() == []
    # worker-a was only slow: its end state cannot overwrite the cancellation
    sampling_job_release(job_id=job.pk, owner="worker-a", status=SamplingJob.Status.DONE)
    assert not sampling_job_claim(job_id=job.pk, owner="worker-a")
    job.refresh_from_db()
    assert job.status == "cancelled"


def test_a_finished_job_cannot_be_cancelled_and_keeps_its_state(checkpoint):
    done = sampling_job_run(job_id=make_job(checkpoint, n=1).pk)
    with pytest.raises(SamplingJobError, match=f"job {done.pk} is already done; nothing to cancel"):
        sampling_job_cancel(job=done)
    done.refresh_from_db()
    assert (done.status, done.cancel_requested, done.ecgs.count()) == ("done", False, 1)
    cancelled = sampling_job_cancel(job=make_job(checkpoint))
    with pytest.raises(SamplingJobError, match="is already cancelled"):
        sampling_job_cancel(job=cancelled)
    sampling_job_requeue(job=cancelled)  # a cancelled job may be taken up again
    cancelled.refresh_from_db()
    assert (cancelled.status, cancelled.cancel_requested) == ("queued", False)


def test_the_admin_cancel_action_reports_each_job(checkpoint, admin_client):
    done = sampling_job_run(job_id=make_job(checkpoint, n=1).pk)
    queued = make_job(checkpoint)
    response = admin_client.post(
        reverse("admin:generator_samplingjob_changelist"),
        {"action": "cancel_jobs", "_selected_action": [done.pk, queued.pk]},
        follow=True,
    )
    assert response.status_code == 200
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"job {done.pk} is already done; nothing to cancel" in notes
    assert f"job {queued.pk} cancelled now" in notes
    assert SamplingJob.objects.get(pk=queued.pk).status == "cancelled"
    assert SamplingJob.objects.get(pk=done.pk).status == "done"


def test_match_copies_label_sets_of_real_ecgs(checkpoint):
    labels = [{"IMI": 100.0, "SR": 0.0}, {"NORM": 100.0}, {"AFIB": 100.0}]
    ecg_import(
        records=[
            EcgRecord(f"r{i}", np.zeros((12, 1000), np.float32), 100.0, "real", "ptbxl",
                      scp_codes=codes, strat_fold=9 if i < 2 else 1)
            for i, codes in enumerate(labels)
        ]
    )  # fmt: skip
    job = make_job(checkpoint, labels=None, match_query="origin=ptbxl;folds=9", n=2)
    assert job.label_sets == [["IMI", "SR"], ["NORM"]]
    job = sampling_job_run(job_id=job.pk)
    assert sorted(job.ecgs.values_list("label_set", flat=True)) == ["IMI_SR", "NORM"]
    real_ids = set(ECG.objects.real().filter(strat_fold=9).values_list("pk", flat=True))
    assert {e.provenance["matched_ecg"] for e in job.ecgs.all()} == real_ids


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "nope"}, "unknown generator backend 'nope'"),
        ({"labels": ["NORM", "XYZ"]}, "unknown SCP statements: XYZ"),
        ({"labels": None, "match_query": "origin=nowhere"}, "no stored real ECG matches"),
        ({"labels": None, "match_query": "colour=red"}, "expected KEY=VALUE"),
        ({"labels": None, "match_query": "origin=ptbxl", "n": 4}, "only 3 stored real ECG"),
        ({"n": 0}, "at least 1"),
    ],
)
def test_bad_requests_are_refused(checkpoint, kwargs, message):
    ecg_import(
        records=[
            EcgRecord(f"r{i}", np.zeros((12, 1000), np.float32), 100.0, "real", "ptbxl")
            for i in range(3)
        ]
    )
    with pytest.raises(SamplingJobError, match=message):
        make_job(checkpoint, **kwargs)
    assert SamplingJob.objects.count() == 0


def test_sample_pool_command_runs_inline(checkpoint):
    out = io.StringIO()
    call_command(
        "sample_pool", "--checkpoint", str(checkpoint), "--n", "3", "--labels", "LVH,SR",
        "--sampler", "ddim", "--steps", "5", "--seed", "3", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert "done, 3/3 ECGs stored" in out.getvalue()
    assert set(ECG.objects.synthetic().values_list("label_set", flat=True)) == {"LVH_SR"}


def test_sample_pool_command_reports_bad_input(tmp_path, checkpoint):
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    with pytest.raises(CommandError, match=r"notes.txt cannot be read as a torch checkpoint"):
        call_command("sample_pool", "--checkpoint", str(tmp_path / "notes.txt"), "--n", "1",
                     "--labels", "NORM")  # fmt: skip
    with pytest.raises(CommandError, match="checkpoint file not found"):
        call_command("sample_pool", "--checkpoint", str(tmp_path / "x.pt"), "--n", "1",
                     "--labels", "NORM")  # fmt: skip
    with pytest.raises(CommandError, match="DDPM runs all 200 steps"):
        call_command("sample_pool", "--checkpoint", str(checkpoint), "--n", "1",
                     "--labels", "NORM", "--steps", "10", stderr=io.StringIO())  # fmt: skip
    assert ECG.objects.count() == 0 and SamplingJob.objects.count() == 0


def test_queue_without_a_broker_runs_here_and_says_so(checkpoint, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    out = io.StringIO()
    call_command(
        "sample_pool", "--checkpoint", str(checkpoint), "--n", "1", "--labels", "NORM",
        "--sampler", "ddim", "--steps", "3", "--queue", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert "no Celery broker is configured" in out.getvalue()
    assert "done, 1/1 ECGs stored" in out.getvalue()


def test_a_live_lease_keeps_other_runners_and_requeues_out(checkpoint):
    job = make_job(checkpoint)
    assert sampling_job_claim(job_id=job.pk, owner="worker-a")
    assert not sampling_job_claim(job_id=job.pk, owner="worker-b")
    assert sampling_job_claim(job_id=job.pk, owner="worker-a")  # renewal by the holder
    job.refresh_from_db()
    assert job.status == "running" and job.lease_owner == "worker-a"
    assert sampling_job_run_chunk(job_id=job.pk, owner="worker-b") == "busy"
    with pytest.raises(SamplingJobError, match="running on worker-a"):
        sampling_job_requeue(job=job)
    with pytest.raises(SamplingJobError, match="running on worker-a"):
        sampling_job_run(job_id=job.pk)
    assert job.ecgs.count() == 0
    assert requeue_expired_sampling_jobs() == []


def test_an_expired_lease_is_requeued_and_the_job_resumes(
    checkpoint, django_capture_on_commit_callbacks
):
    job = make_job(checkpoint)
    assert sampling_job_run_chunk(job_id=job.pk, owner="worker-a") == "more"
    assert job.ecgs.count() == 2
    # worker-a claims the next chunk and dies: its lease runs out.
    assert sampling_job_claim(job_id=job.pk, owner="worker-a")
    SamplingJob.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks() as queued:
        assert requeue_expired_sampling_jobs() == [job.pk]
    assert len(queued) == 1  # the job's next chunk is queued again
    run_sampling_chunk.apply(args=[job.pk])  # what the worker that picks it up runs
    job.refresh_from_db()
    assert (job.status, job.done, job.lease_owner) == ("done", 5, "")
    assert sorted(job.ecgs.values_list("job_index", flat=True)) == [0, 1, 2, 3, 4]


def test_a_job_whose_next_chunk_task_was_lost_is_requeued(
    checkpoint, django_capture_on_commit_callbacks
):
    job = make_job(checkpoint)
    assert sampling_job_run_chunk(job_id=job.pk, owner="worker-a") == "more"
    job.refresh_from_db()
    assert job.lease_owner == "" and job.lease_expires_at is not None  # free, but not forever
    assert sampling_job_claim(job_id=job.pk, owner="worker-b")  # the next task may take it
    sampling_job_release(job_id=job.pk, owner="worker-b")
    # The task for the next chunk never arrives: once the lease time has passed, it is queued.
    SamplingJob.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks() as queued:
        assert requeue_expired_sampling_jobs() == [job.pk]
    assert len(queued) == 1


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_but_not_past_the_chunk_time_limit(checkpoint, settings):
    settings.SAMPLING_LEASE_S = 1.5
    settings.SAMPLING_CHUNK_MAX_S = 3.0
    job = make_job(checkpoint)
    assert sampling_job_claim(job_id=job.pk, owner="worker-a")
    with Heartbeat(job.pk, "worker-a") as beat:
        time.sleep(2.0)  # longer than one lease
        renewed = SamplingJob.objects.get(pk=job.pk).lease_expires_at
        assert renewed > timezone.now()  # kept alive while the chunk runs
        time.sleep(3.5)  # past the chunk time limit and one more lease: no renewals
    held = SamplingJob.objects.get(pk=job.pk)
    assert beat.renewals >= 2
    assert held.lease_owner == "worker-a" and held.lease_expires_at < timezone.now()
    assert sampling_job_claim(job_id=job.pk, owner="worker-b")  # another worker may take it


class Loud:
    """A stub backend: every sample peaks at ``peak`` mV in lead I."""

    name, sampling_rate = "loud", 100

    def __init__(self, peak: float = 20.0):
        self.peak = peak

    def generate(self, label_sets, seed, *, start_index=0):
        signals = np.zeros((len(label_sets), 12, 1000), np.float32)
        signals[:, 0, 10] = self.peak
        return signals

    def provenance(self):
        return {"generator": self.name}


def test_implausible_amplitudes_warn_and_are_recorded(checkpoint, caplog):
    job = sampling_job_run(job_id=make_job(checkpoint, n=2).pk, backend=Loud())
    assert {e.provenance["implausible_peak_mv"] for e in job.ecgs.all()} == {20.0}
    assert "peaks at 20.0 mV" in caplog.text
    quiet = sampling_job_run(job_id=make_job(checkpoint, n=1).pk, backend=Loud(9.5))
    assert "implausible_peak_mv" not in quiet.ecgs.get().provenance


def test_unconditional_backends_take_no_labels_and_store_no_codes():
    job = sampling_job_create(backend="deepfake-ecg", n=2, seed=0)
    assert job.label_sets == [[], []]
    job = sampling_job_run(job_id=job.pk, backend=Loud())
    assert [(e.scp_codes, e.conditioning_labels) for e in job.ecgs.all()] == [({}, [])] * 2
    with pytest.raises(SamplingJobError, match="deepfake-ecg is unconditional"):
        sampling_job_create(backend="deepfake-ecg", n=1, seed=0, labels=["NORM"])
    with pytest.raises(SamplingJobError, match="exactly one of labels or a match"):
        sampling_job_create(backend="sssd-nle", n=1, seed=0)


def test_batch_is_honoured_and_progress_is_logged_off_a_terminal(checkpoint):
    err = io.StringIO()
    call_command(
        "sample_pool", "--checkpoint", str(checkpoint), "--n", "3", "--labels", "NORM",
        "--sampler", "ddim", "--steps", "2", "--batch", "3", stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    job = SamplingJob.objects.get()
    assert job.chunk_size == 3 and job.backend_options["batch_size"] == 3
    assert f"sampling job {job.pk}: 3/3 ECGs" in err.getvalue()
    with pytest.raises(CommandError, match="--chunk-size 2 is smaller than --batch 4"):
        call_command("sample_pool", "--checkpoint", str(checkpoint), "--n", "3",
                     "--labels", "NORM", "--batch", "4", "--chunk-size", "2")  # fmt: skip


def test_an_unavailable_device_is_a_command_error(checkpoint):
    with pytest.raises(CommandError, match="device 'cuda:99' is not available"):
        call_command("sample_pool", "--checkpoint", str(checkpoint), "--n", "1",
                     "--labels", "NORM", "--device", "cuda:99")  # fmt: skip
    assert SamplingJob.objects.count() == 0


def test_sample_pool_runs_an_unconditional_backend_without_labels():
    call_command("sample_pool", "--backend", "deepfake-ecg", "--n", "1", "--batch", "1",
                 "--device", "cpu", stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    fake = ECG.objects.synthetic().get()
    assert fake.scp_codes == {} and fake.conditioning_labels == []


def test_a_job_builds_the_kernels_once_and_a_later_worker_reads_them_from_disk(
    checkpoint, kernel_cache_dir, monkeypatch
):
    calls = []
    original = S4.kernel_spectrum
    monkeypatch.setattr(S4, "kernel_spectrum", lambda m, n: calls.append(n) or original(m, n))
    job = sampling_job_run(job_id=make_job(checkpoint).pk)  # three chunks, one backend
    assert job.done == 5 and len(calls) == 4  # the tiny network's four S4 layers, once
    assert len(list(kernel_cache_dir.iterdir())) == 1
    calls.clear()
    later = make_job(checkpoint, n=2)
    assert sampling_job_run_chunk(job_id=later.pk, owner="worker-2") == "done"
    assert len(calls) == 1  # a fresh backend (as in a Celery task): one layer checks the file
    first, again = (j.ecgs.get(job_index=0).signal() for j in (job, later))
    np.testing.assert_array_equal(first, again)


def test_the_labels_help_says_what_each_kind_of_backend_needs(checkpoint):
    from generator.management.commands.sample_pool import Command

    help_text = " ".join(Command().create_parser("manage.py", "sample_pool").format_help().split())
    assert "an SSSD --checkpoint needs these or --match" in help_text
    assert "an unconditional --backend (deepfake-ecg) takes no labels" in help_text
    # what the help says, the command does: a conditional checkpoint needs one of them
    with pytest.raises(CommandError, match="give exactly one of labels or a match query"):
        call_command("sample_pool", "--checkpoint", str(checkpoint), "--n", "1",
                     stderr=io.StringIO())  # fmt: skip
    with pytest.raises(CommandError, match="deepfake-ecg is unconditional: it takes no labels"):
        call_command("sample_pool", "--backend", "deepfake-ecg", "--n", "1", "--batch", "1",
                     "--labels", "NORM", "--device", "cpu", stderr=io.StringIO())  # fmt: skip
    assert SamplingJob.objects.count() == 0
