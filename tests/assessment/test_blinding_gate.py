"""The blinding audit as a gate on real data: the 22 real and 22 synthetic ECGs of the
SSSD-ECG Turing test pass it when harmonised, and fail it (so opening is refused) when
the harmonisation is switched off."""

from __future__ import annotations

import pytest

from assessment.audit import CONTENT_CHANNELS
from assessment.errors import BlindingLeakError
from assessment.models import Study
from assessment.services import study_open
from assessment.services.audit import blinding_audit
from tests.assessment.conftest import seed

pytestmark = pytest.mark.django_db

RAW = {"quantum_mv": 0.001, "derive_limb_leads": False, "dither": "none"}


def channels(audit: dict) -> dict[str, dict]:
    return {c["channel"]: c for c in audit["channels"]}


def test_harmonised_turing_study_passes_the_audit_and_opens(turing_store):
    study = seed("turing-ok", n=22, real="turing-real", synthetic="turing-synthetic",
                 readers=(), open_now=False)  # fmt: skip
    audit = blinding_audit(study=study)
    assert audit["n_panels"] == 44 and audit["leaking_channels"] == []
    for name, channel in channels(audit).items():
        if name in CONTENT_CHANNELS:
            # gzip size and grid occupancy follow amplitude and noise, which readers see:
            # reported, never gating (README, "The blinding model").
            assert not channel["gates"] and not channel["leaks"], name
            continue
        assert channel["gates"] and not channel["leaks"], name
        assert channel["accuracy"] <= 0.60, name
        assert channel["auc_ci"][0] <= 0.5, name
    assert channels(audit)["response size"]["constant"]
    assert channels(audit)["number formatting"]["constant"]
    assert audit["panel_length"] % 4096 == 0
    opened = study_open(study=study)
    assert opened.status == Study.Status.OPEN
    assert opened.snapshot["blinding_audit"]["leaking_channels"] == []
    assert opened.snapshot["opened_despite_audit"] is None


def test_unharmonised_turing_study_fails_and_cannot_open_without_a_reason(turing_store, admin):
    study = seed("turing-raw", n=22, real="turing-real", synthetic="turing-synthetic",
                 readers=(), open_now=False, settings={"harmonisation": RAW})  # fmt: skip
    with pytest.raises(BlindingLeakError, match="limb-lead residue") as refused:
        study_open(study=study)
    audit = refused.value.audit
    found = channels(audit)
    assert found["limb-lead residue"]["auc"] > 0.9 and found["limb-lead residue"]["leaks"]
    assert found["value grid"]["auc"] > 0.9 and found["value grid"]["leaks"]
    study.refresh_from_db()
    assert study.status == Study.Status.DRAFT
    assert study.blinding_audit["leaking_channels"] == audit["leaking_channels"]

    opened = study_open(study=study, override_reason="pilot of the audit", opened_by="admin")
    assert opened.status == Study.Status.OPEN
    override = opened.snapshot["opened_despite_audit"]
    assert override["reason"] == "pilot of the audit" and override["by"] == "admin"
    assert "limb-lead residue" in override["channels"]
