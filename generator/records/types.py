"""The record every reader yields: a validated standard-order 12-lead signal plus metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class EcgRecord:
    """One ECG ready for the store; ``source_key`` makes re-imports idempotent."""

    source_key: str
    signal: np.ndarray  # (12, samples) float32 mV, standard lead order
    sampling_rate: float
    source: str  # "real" or "synthetic"
    origin: str
    scp_codes: dict[str, float] = field(default_factory=dict)
    dataset_ecg_id: int | None = None
    patient_id: int | None = None
    strat_fold: int | None = None
    generator_name: str = ""
    checkpoint_sha256: str = ""
    seed: int | None = None
    sampler_settings: dict = field(default_factory=dict)
    conditioning_labels: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)
    sampling_job_id: int | None = None
    job_index: int | None = None
