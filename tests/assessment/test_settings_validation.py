"""Study settings are type-checked where they are applied: clear 400s and CommandErrors."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from assessment.errors import StudySeedError
from assessment.models import Study
from tests.assessment.conftest import seed

pytestmark = pytest.mark.django_db


def post_study(admin, settings: dict):
    client = APIClient()
    client.force_authenticate(admin)
    payload = {"name": "api", "design": "single", "n": 4, "real_origins": ["test-real"],
               "synthetic_origins": ["test-gen"], "settings": settings}  # fmt: skip
    return client.post("/api/studies/", payload, format="json")


def seed_command(settings: dict, *extra: str, name: str = "cmd") -> str:
    out = io.StringIO()
    call_command(
        "seed_study", "--name", name, "--design", "paired", "--n", "4", "--real-origin",
        "test-real", "--synthetic-origin", "test-gen", "--study-settings", json.dumps(settings),
        *extra, stdout=out,
    )  # fmt: skip
    return out.getvalue()


BAD_HARMONISATION = [
    ({"harmonisation": "x"}, "setting harmonisation must be an object, got 'x'"),
    (
        {"harmonisation": {"sampling_rate": -1}},
        "harmonisation.sampling_rate must be a positive number, got -1",
    ),
    ({"harmonisation": {"rate": 250}}, "unknown harmonisation settings: rate"),
    (
        {"harmonisation": {"bandpass_hz": [0.5, 60]}},
        "harmonisation.bandpass_hz: band-pass (0.5, 60.0) Hz must satisfy",
    ),
]


@pytest.mark.parametrize(("study_settings", "message"), BAD_HARMONISATION)
def test_bad_harmonisation_is_a_400_naming_the_field(small_store, admin, study_settings, message):
    response = post_study(admin, study_settings)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Study.objects.exists()


@pytest.mark.parametrize(("study_settings", "message"), BAD_HARMONISATION)
def test_bad_harmonisation_is_a_command_error(small_store, study_settings, message):
    with pytest.raises(CommandError) as error:
        seed_command(study_settings)
    assert message in str(error.value)
    assert not Study.objects.exists()


def test_partial_harmonisation_is_stored_with_the_defaults_filled_in(small_store):
    settings = {"harmonisation": {"sampling_rate": 250}, "allow_upsampling": True}
    study = seed(readers=(), open_now=False, settings=settings)
    study.refresh_from_db()
    assert study.harmonisation == {
        "sampling_rate": 250.0, "duration_s": 10.0, "bandpass_hz": None, "quantum_mv": 0.01,
        "derive_limb_leads": True, "dither": "rpdf",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("study_settings", "message"),
    [
        ({"title": 5}, "setting title must be a string, got 5"),
        ({"layout": None}, "setting layout must be a string, got None"),
        ({"ask_confidence": "yes"}, "setting ask_confidence must be true or false, got 'yes'"),
        ({"unaware_phase": 1}, "setting unaware_phase must be true or false, got 1"),
        ({"attention_checks": True}, "setting attention_checks must be an integer, got True"),
        ({"quality_scale_max": 5.0}, "setting quality_scale_max must be an integer, got 5.0"),
        ({"synthetic_share": "0.3"}, "setting synthetic_share must be a number, got '0.3'"),
        ({"repeat_share": False}, "setting repeat_share must be a number, got False"),
        ({"harmonisation": [100, 10]}, "setting harmonisation must be an object, got [100, 10]"),
    ],
)
def test_settings_of_the_wrong_type_are_refused(small_store, study_settings, message):
    with pytest.raises(StudySeedError) as error:
        seed(readers=(), settings=study_settings)
    assert str(error.value) == message
    assert not Study.objects.exists()


def test_api_refuses_a_title_that_is_not_a_string(small_store, admin):
    response = post_study(admin, {"title": 5})
    assert response.status_code == 400
    assert response.json()["detail"] == "setting title must be a string, got 5"
    assert not Study.objects.exists()
    assert post_study(admin, {"title": "Five"}).status_code == 201


def test_an_integer_is_a_valid_float_setting(small_store):
    study = seed(readers=(), open_now=False, settings={"synthetic_share": 1, "repeat_share": 0})
    assert isinstance(study.synthetic_share, float) and study.synthetic_share == 1.0
    assert isinstance(study.repeat_share, float) and study.repeat_share == 0.0


def test_seed_study_reports_the_status_the_study_is_in(small_store):
    opened = seed_command({}, "--open", name="opened")
    drafted = seed_command({}, name="drafted")
    studies = {s.name: s for s in Study.objects.all()}
    assert studies["opened"].status == Study.Status.OPEN
    assert f"Seeded study 'opened' (id {studies['opened'].pk}, open)" in opened
    assert f"Seeded study 'drafted' (id {studies['drafted'].pk}, draft)" in drafted
