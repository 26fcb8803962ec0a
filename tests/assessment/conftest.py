"""Fixtures of the assessment tests: ECG stores (factory-made or the real Turing set) and
seeded studies with logged-in reader clients."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from assessment.models import Enrolment
from assessment.services import (
    EcgPool,
    enrolment_acknowledge_instructions,
    enrolment_consent,
    study_seed,
)
from tests.factories import EcgFactory

# Label sets of the factory store: stratum -> (codes, how many pairs).
STORE_LAYOUT = [
    (("NORM", "SR"), 6),
    (("IMI", "SR"), 3),
    (("LVH", "SR"), 2),
    (("CLBBB", "SR"), 1),
]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Personas are created per test; the production hasher costs ~0.5 s per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def small_store(db):
    """12 real + 12 synthetic factory ECGs with matching label sets (NORM 6, MI 3, HYP 2, CD 1)."""
    for codes, count in STORE_LAYOUT:
        for _ in range(count):
            EcgFactory(source="real", origin="test-real", codes=codes, strat_fold=9)
            EcgFactory(
                source="synthetic", origin="test-gen", codes=codes, generator_name="sssd-nle"
            )


@pytest.fixture
def turing_store(db, shared_data):
    """The 22 real and 22 synthetic ECGs of the SSSD-ECG clinical Turing test."""
    folder = shared_data / "sssd_ecg_turing22"
    for name in ("real", "synthetic"):
        call_command(
            "import_array", str(folder / f"{name}.npy"), "--lead-order", "sssd", "--rate",
            "100", "--origin", f"turing-{name}", "--source", name, "--labels",
            str(folder / "trials.csv"), stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip


def seed(
    name: str = "s1",
    *,
    design: str = "paired",
    n: int = 8,
    real: str = "test-real",
    synthetic: str = "test-gen",
    readers: tuple[str, ...] = ("alice", "bob"),
    open_now: bool = True,
    seed: int | None = 1,
    practice: int = 0,
    **kwargs,
):
    """Seed a study from the store with sensible defaults (opened unless told otherwise).

    The fixed default seed keeps each test's cases, and so its blinding audit at opening,
    the same from run to run (production seeds are random); ``seed=None`` draws one.
    No practice items unless asked for (studies get two by default), so a test's items are
    its main items."""
    return study_seed(
        seed=seed,
        name=name,
        design=design,
        n=n,
        pool=EcgPool(real_origins=[real], synthetic_origins=[synthetic]),
        readers=list(readers),
        open_now=open_now,
        practice=practice,
        **kwargs,
    )


def ready(enrolment: Enrolment) -> Enrolment:
    """Consent, profile and instructions done, as after the reader's first visit."""
    enrolment_consent(
        enrolment=enrolment, specialty="cardiology", years_experience=12, ecgs_per_week=80
    )
    return enrolment_acknowledge_instructions(enrolment=enrolment)


@pytest.fixture
def paired_study(small_store, reader_a, reader_b):
    """An open paired study of 8 cases read by alice and bob."""
    return seed()


@pytest.fixture
def client_a(reader_a) -> Client:
    client = Client()
    client.force_login(reader_a)
    return client


@pytest.fixture
def client_b(reader_b) -> Client:
    client = Client()
    client.force_login(reader_b)
    return client


@pytest.fixture
def client_admin(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client
