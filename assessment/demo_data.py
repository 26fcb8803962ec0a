"""ECGs for the demo: real ones from the best source at hand, and synthetic ones to match.

Real ECGs come from, in this order: a PTB-XL directory the user names; a few dozen PTB-XL
records fetched from PhysioNet when the machine is online (cached under ``var/``); the 22
real PTB-XL ECGs of the SSSD-ECG Turing test in ``../shared/data`` when that folder is
beside the repository; else stand-ins generated in code (``generator.standins``), which
the demo and the staff pages say plainly. Synthetic ECGs come from an SSSD-ECG-nle
checkpoint when one is given, else from the pretrained DeepFake-ECG peer generator. Every
step is idempotent: a second run finds what the first one stored.
"""

from __future__ import annotations

import io
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.core.management import call_command

from generator.models import ECG, SamplingJob
from generator.records.arrays import array_records
from generator.records.types import EcgRecord
from generator.sampling_jobs import (
    matched_real_ecgs,
    parse_match_query,
    sampling_job_create,
    sampling_job_run,
)
from generator.services import ecg_import
from generator.standins import STANDIN_LABELS, STANDIN_MODEL, STANDIN_ORIGIN, standin_signal

PTBXL_ORIGIN = "ptbxl"
PTBXL_FOLDS = (9, 10)
PTBXL_URL = "https://physionet.org/files/ptb-xl/1.0.3/"
PTBXL_TABLES = ("ptbxl_database.csv", "scp_statements.csv")
PROBE_URL = PTBXL_URL + "RECORDS"
PROBE_TIMEOUT_S = 3.0

SHARED_TURING_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "sssd_ecg_turing22"
TURING_REAL_ORIGIN = "ptbxl-turing22"
TURING_SYNTHETIC_ORIGIN = "sssd-ecg-published"

DEEPFAKE_BACKEND = "deepfake-ecg"
SSSD_BACKEND = "sssd-nle"
SSSD_ORIGIN = "sssd-ecg-nle"
SAMPLING_SEED = 2024
DDIM_STEPS = 20  # few steps: quick on a CPU

Fetch = Callable[[str, Path], None]
Say = Callable[[str], None]


@dataclass(frozen=True)
class EcgSet:
    """A set of ECGs in the store the demo uses: its origin, size and how it was made."""

    origin: str
    count: int
    description: str
    added: int = 0
    is_standin: bool = False


def turing22_dir() -> Path | None:
    """The shared SSSD-ECG Turing-test folder beside the repository, if it is there."""
    folder = SHARED_TURING_DIR
    needed = ("real.npy", "synthetic.npy", "trials.csv")
    return folder if all((folder / name).is_file() for name in needed) else None


def physionet_reachable(url: str | None = None, timeout_s: float | None = None) -> bool:
    """Whether PhysioNet (``PROBE_URL``) answers within ``PROBE_TIMEOUT_S``, DNS included:
    the probe runs in a thread abandoned after the deadline, so offline is decided fast."""
    url = url or PROBE_URL
    timeout_s = timeout_s or PROBE_TIMEOUT_S
    answer: list[bool] = []

    def probe() -> None:
        try:
            request = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                answer.append(response.status < 400)
        except (OSError, ValueError):
            answer.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout_s + 0.5)
    return bool(answer and answer[0])


def download(url: str, path: Path) -> None:
    """Fetch ``url`` into ``path`` (written whole or not at all)."""
    partial = path.with_name(path.name + ".part")
    with urllib.request.urlopen(url, timeout=30) as response:
        partial.write_bytes(response.read())
    partial.replace(path)


def ptbxl_selection(root: Path, count: int) -> pd.DataFrame:
    """The first ``count`` records (by ecg_id) of PTB-XL's test folds 9 and 10."""
    columns = ["ecg_id", "strat_fold", "filename_lr"]
    rows = pd.read_csv(root / "ptbxl_database.csv", usecols=columns)
    rows = rows[rows["strat_fold"].isin(PTBXL_FOLDS)].sort_values("ecg_id")
    return rows.head(count)


def ptbxl_fetch(root: Path, count: int, fetch: Fetch | None = None) -> Path:
    """Make ``root`` a small PTB-XL directory holding ``count`` test-fold records at
    100 Hz, fetching from PhysioNet (with ``download`` by default) only missing files."""
    fetch = fetch or download
    root.mkdir(parents=True, exist_ok=True)
    for table in PTBXL_TABLES:
        if not (root / table).is_file():
            fetch(PTBXL_URL + table, root / table)
    for name in ptbxl_selection(root, count)["filename_lr"]:
        for ext in ("hea", "dat"):
            path = root / f"{name}.{ext}"
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                fetch(f"{PTBXL_URL}{name}.{ext}", path)
    return root


def ptbxl_cached(root: Path, count: int) -> bool:
    """Whether an earlier online run left all ``count`` records in ``root``."""
    if not all((root / table).is_file() for table in PTBXL_TABLES):
        return False
    names = ptbxl_selection(root, count)["filename_lr"]
    return len(names) == count and all(
        (root / f"{name}.{ext}").is_file() for name in names for ext in ("hea", "dat")
    )


def ptbxl_import(root: Path, count: int) -> int:
    """Import ``count`` records of PTB-XL folds 9 and 10 (100 Hz); returns how many were new."""
    before = ECG.objects.filter(origin=PTBXL_ORIGIN).count()
    folds = ",".join(map(str, PTBXL_FOLDS))
    call_command(
        "import_ptbxl", str(root), "--folds", folds, "--limit", str(count),
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    return ECG.objects.filter(origin=PTBXL_ORIGIN).count() - before


def turing22_import(folder: Path) -> tuple[EcgSet, EcgSet]:
    """The 22 real PTB-XL ECGs of the SSSD-ECG Turing test and the 22 SSSD-ECG samples
    generated for the same label sets (row i of each array shares its labels)."""
    sets = []
    for name, source, origin, text in (
        ("real", "real", TURING_REAL_ORIGIN,
         f"real PTB-XL ECGs from {folder / 'real.npy'} (real recordings, CC BY 4.0)"),
        ("synthetic", "synthetic", TURING_SYNTHETIC_ORIGIN,
         "published SSSD-ECG samples (Alcaraz & Strodthoff 2023), label-matched to the 22 real"),
    ):  # fmt: skip
        records = array_records(
            folder / f"{name}.npy",
            lead_order="sssd",
            sampling_rate=100.0,
            origin=origin,
            source=source,
            labels_path=folder / "trials.csv",
        )
        summary = ecg_import(records=records)
        count = ECG.objects.filter(origin=origin).count()
        sets.append(EcgSet(origin, count, text, added=summary.added))
    return sets[0], sets[1]


def standins_import(count: int) -> EcgSet:
    """``count`` stand-in ECGs labelled NORM/SR, stored as origin ``demo-standin``."""
    records = (
        EcgRecord(
            source_key=f"{STANDIN_ORIGIN}:v1:{index}",
            signal=standin_signal(index),
            sampling_rate=100.0,
            source=ECG.Source.REAL,
            origin=STANDIN_ORIGIN,
            scp_codes=dict(STANDIN_LABELS),
            provenance={
                "stand_in": True,
                "model": STANDIN_MODEL,
                "seed": index,
                "note": "generated in code for the demo; not a recording",
            },
        )  # fmt: skip
        for index in range(count)
    )
    summary = ecg_import(records=records)
    return EcgSet(
        STANDIN_ORIGIN,
        ECG.objects.filter(origin=STANDIN_ORIGIN).count(),
        "STAND-IN ECGs generated in code (a P-QRS-T model), NOT recordings",
        added=summary.added,
        is_standin=True,
    )


def real_ecgs_ensure(
    *, ptbxl_dir: Path | None, count: int, offline: bool, cache_dir: Path, say: Say
) -> EcgSet:
    """Store the demo's real ECGs from the best source at hand (see the module docstring)."""
    if ptbxl_dir is not None:
        added = ptbxl_import(ptbxl_dir, count)
        return _ptbxl_set(added, f"PTB-XL records from {ptbxl_dir} (folds 9, 10)")
    if ptbxl_cached(cache_dir, count):
        added = ptbxl_import(cache_dir, count)
        return _ptbxl_set(added, f"PTB-XL records fetched earlier from PhysioNet ({cache_dir})")
    if offline:
        say("Not looking for PhysioNet (--offline).")
    elif physionet_reachable():
        say(f"PhysioNet is reachable: fetching {count} PTB-XL records (folds 9, 10)...")
        added = ptbxl_import(ptbxl_fetch(cache_dir, count), count)
        return _ptbxl_set(added, f"PTB-XL records fetched from PhysioNet into {cache_dir}")
    else:
        say(f"PhysioNet is not reachable (offline, decided within {PROBE_TIMEOUT_S:g} s).")
    folder = turing22_dir()
    if folder is not None:
        real, _ = turing22_import(folder)
        return real
    return standins_import(count)


def _ptbxl_set(added: int, text: str) -> EcgSet:
    count = ECG.objects.filter(origin=PTBXL_ORIGIN).count()
    return EcgSet(PTBXL_ORIGIN, count, text, added=added)


def generated_ecgs_ensure(
    *,
    real_origin: str,
    count: int,
    checkpoint: Path | None,
    say: Say,
    steps: int = DDIM_STEPS,
) -> EcgSet:
    """Sample ``count`` synthetic ECGs for the label sets of the first ``count`` real ECGs
    of ``real_origin``: with the SSSD-ECG-nle checkpoint if given (DDIM, ``steps`` steps),
    else with DeepFake-ECG (unconditional: its ECGs ignore the labels and only carry them
    for pairing)."""
    if checkpoint is not None:
        backend, origin = SSSD_BACKEND, SSSD_ORIGIN
        options: dict = {"checkpoint": str(checkpoint.resolve()), "sampler": "ddim",
                         "steps": steps, "batch_size": 8}  # fmt: skip
        text = f"SSSD-ECG-nle samples from {checkpoint.name} (DDIM, {steps} steps)"
    else:
        backend, origin = DEEPFAKE_BACKEND, DEEPFAKE_BACKEND
        options = {"output_rate": 100, "batch_size": 16}
        text = (
            "DeepFake-ECG (pretrained Pulse2Pulse peer generator) samples at 100 Hz; the peer "
            "generator is UNCONDITIONAL: it ignores labels, so each ECG carries the label set "
            "of the real ECG it is paired with"
        )
    query = f"origin={real_origin}"
    matched = [ecg.pk for ecg in matched_real_ecgs(parse_match_query(query), count)]
    job = _existing_job(backend, origin, options, matched)
    if job is None:
        job = sampling_job_create(
            backend=backend,
            n=len(matched),
            seed=SAMPLING_SEED,
            match_query=query,
            backend_options=options,
            chunk_size=len(matched),
            origin=origin,
        )
    added = 0
    if job.ecgs.count() < job.n:
        say(f"Sampling {job.n} synthetic ECGs with {backend}...")
        before = job.ecgs.count()
        job = sampling_job_run(job_id=job.pk)
        added = job.ecgs.count() - before
    return EcgSet(origin, job.ecgs.count(), text, added=added)


def _existing_job(
    backend: str, origin: str, options: dict, matched: list[int]
) -> SamplingJob | None:
    """A demo sampling job for exactly these real ECGs and options, finished or not."""
    jobs = SamplingJob.objects.filter(backend=backend, origin=origin, seed=SAMPLING_SEED)
    for job in jobs.order_by("-id"):
        if job.backend_options == options and job.matched_ecg_ids == matched:
            return job
    return None
