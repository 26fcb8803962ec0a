"""factory_boy factories: users and small deterministic ECGs for tests that need no real data."""

from __future__ import annotations

import factory
import numpy as np
from django.contrib.auth import get_user_model

from generator.core.leads import from_order
from generator.models import ECG
from generator.records.types import EcgRecord
from generator.services import ecg_build


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda i: f"reader{i}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "pw-reader-123")


def beat_signal(seed: int, *, fs: float = 100.0, seconds: float = 10.0) -> np.ndarray:
    """A small plausible 12-lead trace: Gaussian P-QRS-T beats, limb leads from I and II."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(fs * seconds))) / fs
    rate_hz = rng.uniform(0.9, 1.4)
    phase = (t * rate_hz) % 1.0

    def beat(gain: float) -> np.ndarray:
        waves = [(0.1, 0.12, 0.02), (1.0, 0.30, 0.012), (-0.2, 0.33, 0.01), (0.3, 0.55, 0.04)]
        return gain * sum(a * np.exp(-(((phase - c) / w) ** 2)) for a, c, w in waves)

    lead_i, lead_ii = beat(rng.uniform(0.4, 0.8)), beat(rng.uniform(0.8, 1.2))
    chest = [beat(rng.uniform(-0.8, 1.5)) for _ in range(6)]
    limb = [lead_i, lead_ii, lead_ii - lead_i, -(lead_i + lead_ii) / 2, lead_i - lead_ii / 2,
            lead_ii - lead_i / 2]  # fmt: skip
    noise = rng.normal(0, 0.01, (12, t.size))
    return (np.array(limb + chest) + noise).astype(np.float32)


class EcgFactory(factory.django.DjangoModelFactory):
    """A stored ECG with a deterministic signal; pass ``codes`` for its SCP label set."""

    class Meta:
        model = ECG

    source = ECG.Source.REAL
    origin = factory.LazyAttribute(lambda e: f"test-{e.source}")
    codes = ("NORM", "SR")
    strat_fold = None
    generator_name = ""
    signal_seed = factory.Sequence(lambda i: i)
    source_key = factory.Sequence(lambda i: f"factory:{i}")

    @classmethod
    def _create(cls, model_class, *, codes, signal_seed, **kwargs) -> ECG:
        record = EcgRecord(
            source_key=kwargs["source_key"],
            signal=beat_signal(signal_seed),
            sampling_rate=100.0,
            source=kwargs["source"],
            origin=kwargs["origin"],
            scp_codes={code: 100.0 for code in codes},
            strat_fold=kwargs["strat_fold"],
            generator_name=kwargs["generator_name"],
        )
        ecg = ecg_build(record)
        ecg.save()
        return ecg


def stored_sssd_row(
    signal: np.ndarray, key: str, source: str, origin: str, *, codes=(), **fields
) -> ECG:
    """Store one row of a 100 Hz array in SSSD-ECG lead order (as the shared Turing ECGs
    are) as an ECG; ``fields`` are further EcgRecord fields (strat_fold, generator_name...)."""
    record = EcgRecord(
        source_key=key,
        signal=from_order(signal, "sssd").astype(np.float32),
        sampling_rate=100.0,
        source=source,
        origin=origin,
        scp_codes=dict.fromkeys(codes, 100.0),
        **fields,
    )
    ecg = ecg_build(record)
    ecg.save()
    return ecg
