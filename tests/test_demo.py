"""manage.py demo: users, real and synthetic ECGs from each source, open studies, idempotence;
and the stand-in ECG model behind its last-resort path."""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from scipy.signal import find_peaks

from assessment import demo_data
from assessment.models import Case, Study
from generator.core.leads import STANDARD_LEADS, einthoven_error
from generator.models import ECG, SamplingJob
from generator.standins import STANDIN_ORIGIN, standin_signal
from tests.generator.checkpoints import trained_tiny_checkpoint
from tests.generator.conftest import write_database

# Connecting to this address never completes (or fails at once on an offline machine).
UNANSWERED_URL = "http://10.255.255.1:81/"
LABELS = ["{'NORM': 100.0, 'SR': 0.0}", "{'IMI': 80.0, 'SR': 0.0}", "{'LVH': 100.0}"]


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def demo_env(settings, tmp_path, monkeypatch):
    """Demo files under tmp_path, a PhysioNet probe that gets no answer, fast hashing."""
    settings.VAR_DIR = tmp_path / "var"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(demo_data, "PROBE_URL", UNANSWERED_URL)
    monkeypatch.setattr(demo_data, "PROBE_TIMEOUT_S", 1.0)
    return tmp_path


@pytest.fixture
def no_shared_data(monkeypatch, tmp_path):
    """As on a user's fresh clone: no ../shared/data beside the repository."""
    monkeypatch.setattr(demo_data, "SHARED_TURING_DIR", tmp_path / "absent")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return trained_tiny_checkpoint(tmp_path_factory.mktemp("ckpt"))


@pytest.fixture
def ptbxl_dir(tmp_path, shared_data) -> Path:
    """A PTB-XL directory of 18 copies of the real record 00001 in test folds 9 and 10,
    six of each of three label sets (so both demo studies always find matches)."""
    root = tmp_path / "ptbxl"
    records = root / "records100" / "00000"
    records.mkdir(parents=True)
    shutil.copy(shared_data / "ptbxl_meta" / "scp_statements.csv", root / "scp_statements.csv")
    header = (shared_data / "ptbxl_sample" / "00001_lr.hea").read_text()
    rows = []
    for ecg_id in range(1, 19):
        name = f"{ecg_id:05d}_lr"
        (records / f"{name}.hea").write_text(header.replace("00001_lr", name))
        shutil.copy(shared_data / "ptbxl_sample" / "00001_lr.dat", records / f"{name}.dat")
        fold = 9 + ecg_id % 2
        codes = LABELS[ecg_id % len(LABELS)]
        rows.append(f'{ecg_id},{100 + ecg_id}.0,50.0,1,"{codes}",{fold},'
                    f"records100/00000/{name},records500/00000/{ecg_id:05d}_hr")  # fmt: skip
    write_database(root, rows)
    return root


def assert_disjoint_studies() -> None:
    """The demo readers read both studies, so no ECG may appear in both."""
    shown = [
        {pk for pair in study.cases.values_list("real_ecg_id", "synthetic_ecg_id") for pk in pair}
        - {None}
        for study in Study.objects.all()
    ]
    assert len(shown) == 2 and shown[0].isdisjoint(shown[1])


def test_standin_is_a_deterministic_plausible_ecg():
    signal = standin_signal(5)
    assert signal.shape == (12, 1000) and signal.dtype == np.float32
    np.testing.assert_array_equal(signal, standin_signal(5))
    assert not np.allclose(signal, standin_signal(6))
    # Limb leads follow Einthoven/Goldberger up to the 1 uV quantisation, as in PTB-XL.
    assert einthoven_error(signal.astype(np.float64)) <= 0.0015
    np.testing.assert_array_equal(signal, np.round(signal, 3))
    lead_ii = signal[STANDARD_LEADS.index("II")]
    peaks, _ = find_peaks(lead_ii, height=0.4, distance=30)
    rate_bpm = 60.0 / np.diff(peaks).mean() * 100
    assert 55 <= rate_bpm <= 95
    assert 0.01 < np.diff(peaks).std() / np.diff(peaks).mean() < 0.15  # sinus arrhythmia
    assert 0.5 < lead_ii[peaks].mean() < 2.5
    # Normal R-wave progression: QRS mostly negative in V1, positive in V6.
    v1, v6 = signal[STANDARD_LEADS.index("V1")], signal[STANDARD_LEADS.index("V6")]
    assert v1[peaks].mean() < 0 < v6[peaks].mean()


def test_standin_rejects_a_bad_rate():
    with pytest.raises(ValueError, match="sampling rate"):
        standin_signal(1, fs=0)


def test_unanswered_probe_decides_offline_within_its_deadline():
    start = time.monotonic()
    assert demo_data.physionet_reachable(UNANSWERED_URL, 1.0) is False
    assert time.monotonic() - start < 3.0


@pytest.mark.django_db
def test_offline_demo_without_shared_data_uses_labelled_stand_ins(demo_env, no_shared_data):
    output = run_demo()
    assert "PhysioNet is not reachable" in output
    assert "STAND-IN" in output and "not recordings" in output
    assert "UNCONDITIONAL" in output
    for text in ("/accounts/login/", "/admin/", "/api/docs/", "/staff/reports/",
                 "admin-demo-pass", "reader1-demo-pass", "reader2-demo-pass"):  # fmt: skip
        assert text in output

    users = get_user_model().objects
    admin = users.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password("admin-demo-pass")
    for name in ("reader1", "reader2"):
        reader = users.get(username=name)
        assert not reader.is_staff and reader.check_password(f"{name}-demo-pass")

    standins = ECG.objects.filter(origin=STANDIN_ORIGIN)
    assert standins.count() == 24 and set(standins.values_list("source", flat=True)) == {"real"}
    assert set(standins.values_list("label_set", flat=True)) == {"NORM_SR"}
    fakes = ECG.objects.filter(origin="deepfake-ecg")
    assert fakes.count() == 12 and {e.source for e in fakes} == {"synthetic"}
    fake = fakes.first()
    assert "unconditional" in fake.sampler_settings["conditioning"]
    assert fake.sampling_rate == 100 and fake.n_samples == 1000
    assert fake.conditioning_labels == ["NORM", "SR"]

    paired = Study.objects.get(name="demo-paired")
    assert (paired.design, paired.status) == ("paired", "open")
    # demo-single shows 6 of the 12 generated ECGs; demo-paired pairs the other 6.
    assert paired.cases.filter(kind=Case.Kind.MAIN).count() == 4
    assert paired.cases.filter(kind=Case.Kind.PRACTICE).count() == 2
    assert {c.real_ecg.origin for c in paired.cases.all()} == {STANDIN_ORIGIN}
    counts = {"demo-paired": 6, "demo-single": 12}
    for study in Study.objects.all():
        assert study.status == "open"
        enrolled = {e.reader.username: e.assignments.count() for e in study.enrolments.all()}
        assert enrolled == {"reader1": counts[study.name], "reader2": counts[study.name]}
    assert_disjoint_studies()

    staff = Client()
    staff.force_login(admin)
    page = staff.get(f"/staff/studies/{paired.pk}/").content.decode()
    assert 'id="standin-warning"' in page
    reader = Client()
    reader.force_login(users.get(username="reader1"))
    enrolment = paired.enrolments.get(reader__username="reader1")
    reader_page = reader.get(f"/r/{enrolment.token}/", follow=True).content.decode()
    assert "consent-form" in reader_page
    assert "stand-in" not in reader_page.lower() and STANDIN_ORIGIN not in reader_page

    again = run_demo()
    assert "24 new" not in again and again.count("already stored") == 2
    assert "already there" in again
    assert ECG.objects.count() == 36 and SamplingJob.objects.count() == 1
    assert Study.objects.count() == 2


@pytest.mark.django_db
def test_demo_with_shared_data_uses_the_real_turing_set(demo_env, shared_data):
    output = run_demo()
    assert "STAND-IN" not in output and "real recordings" in output
    assert ECG.objects.filter(origin="ptbxl-turing22", source="real").count() == 22
    assert ECG.objects.filter(origin="sssd-ecg-published", source="synthetic").count() == 22
    assert ECG.objects.filter(origin="deepfake-ecg").count() == 12
    assert not ECG.objects.filter(origin=STANDIN_ORIGIN).exists()
    paired = Study.objects.get(name="demo-paired")
    main = paired.cases.filter(kind=Case.Kind.MAIN)
    assert main.count() == 14  # 22 Turing pairs less the 6 reals demo-single shows, less practice
    assert_disjoint_studies()
    assert {c.synthetic_ecg.origin for c in main} == {"sssd-ecg-published"}
    assert all(c.real_ecg.label_set == c.synthetic_ecg.label_set for c in main)
    single = Study.objects.get(name="demo-single")
    origins = {c.synthetic_ecg.origin for c in single.cases.exclude(synthetic_ecg=None)}
    assert single.design == "single" and origins == {"deepfake-ecg"}


@pytest.mark.django_db
def test_demo_reads_a_ptbxl_directory_and_samples_a_checkpoint(
    demo_env, no_shared_data, ptbxl_dir, checkpoint
):
    args = ("--ptbxl", str(ptbxl_dir), "--checkpoint", str(checkpoint), "--steps", "3",
            "--real-count", "18", "--synthetic-count", "6")  # fmt: skip
    output = run_demo(*args)
    assert "PhysioNet" not in output and "STAND-IN" not in output
    real = ECG.objects.filter(origin="ptbxl")
    assert real.count() == 18 and set(real.values_list("strat_fold", flat=True)) == {9, 10}
    samples = ECG.objects.filter(origin="sssd-ecg-nle").order_by("job_index")
    assert samples.count() == 6
    first_real = real.order_by("id")[:6]
    assert [s.label_set for s in samples] == [r.label_set for r in first_real]
    assert samples[0].sampler_settings["sampler"] == "ddim"
    assert samples[0].sampler_settings["steps"] == 3
    assert Study.objects.get(name="demo-paired").cases.count() == 1 + 2
    assert_disjoint_studies()


@pytest.mark.django_db
def test_online_demo_fetches_ptbxl_from_physionet_once(
    demo_env, no_shared_data, ptbxl_dir, checkpoint, monkeypatch
):
    fetched: list[str] = []

    def fake_download(url: str, path: Path) -> None:
        fetched.append(url)
        shutil.copy(ptbxl_dir / url.removeprefix(demo_data.PTBXL_URL), path)

    monkeypatch.setattr(demo_data, "physionet_reachable", lambda: True)
    monkeypatch.setattr(demo_data, "download", fake_download)
    args = ("--checkpoint", str(checkpoint), "--steps", "3", "--real-count", "18",
            "--synthetic-count", "6")  # fmt: skip
    output = run_demo(*args)
    assert "fetching 18 PTB-XL records" in output
    assert demo_data.PTBXL_URL == "https://physionet.org/files/ptb-xl/1.0.3/"
    assert len(fetched) == 2 + 18 * 2  # two tables, then .hea and .dat of 18 records
    assert ECG.objects.filter(origin="ptbxl").count() == 18

    monkeypatch.setattr(demo_data, "physionet_reachable", lambda: False)
    again = run_demo(*args)
    assert "fetched earlier" in again and len(fetched) == 38


@pytest.mark.django_db
def test_bad_arguments_are_refused(demo_env, tmp_path):
    with pytest.raises(CommandError, match="no such directory"):
        run_demo("--ptbxl", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="--synthetic-count must be at least 6"):
        run_demo("--synthetic-count", "5")
