"""Seeding measures the row height of a study's panels; an ECG it cannot draw is named."""

from __future__ import annotations

import pytest

from assessment.errors import StudySeedError
from assessment.models import Study
from assessment.services import EcgPool, study_seed
from generator.models import ECG
from tests.factories import EcgFactory

pytestmark = pytest.mark.django_db


def test_a_stored_signal_failing_its_checksum_is_named_by_id():
    real = EcgFactory(source="real", origin="r")
    EcgFactory(source="synthetic", origin="g")
    ECG.objects.filter(pk=real.pk).update(signal_sha256="0" * 64)
    with pytest.raises(
        StudySeedError,
        match=rf"cannot be drawn: ECG {real.pk}: stored signal checksum mismatch",
    ):
        study_seed(
            name="corrupt", design="paired", n=1, practice=0, seed=1,
            pool=EcgPool(real_origins=["r"], synthetic_origins=["g"]),
        )  # fmt: skip
    assert not Study.objects.exists()
