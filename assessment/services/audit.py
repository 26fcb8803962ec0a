"""blinding_audit: fetch every panel of a study exactly as readers receive it and measure
whether any non-clinical feature of the responses tells real from synthetic ECGs."""

from __future__ import annotations

import hashlib
import time

import numpy as np
from django.utils import timezone

from assessment.audit import ServedPanel, audit_panels
from assessment.models import Case, Study
from assessment.services.panels import (
    panel_response,
    panel_settings_key,
    study_ecg_ids,
    study_panels_prepare,
    study_render_options,
)

# Family-wise false-alarm rate of the gate: one clean study in a hundred is refused (and
# can still be opened with a recorded reason).
AUDIT_ALPHA = 0.01


def blinding_audit(*, study: Study) -> dict:
    """Audit the study's panels (all but attention checks) through the reader's code path
    and store the result on the study; returns it as a JSON-friendly dict with the
    ``leaking_channels`` that opening refuses."""
    study_panels_prepare(study=study)
    study.refresh_from_db()
    shown = _panels_to_fetch(study)
    # A random fetch order, so machine load cannot line up with the source.
    order = np.random.default_rng().permutation(len(shown))
    options = study_render_options(study)
    chest_gain = options.chest_gain_mm_mv
    panels = []
    for i in order:
        case_id, ecg_id, synthetic = shown[i]
        started = time.perf_counter()
        response = panel_response(study, ecg_id)
        elapsed = time.perf_counter() - started
        panels.append(
            ServedPanel(
                body=response.content,
                content_length=int(response["Content-Length"]),
                render_s=elapsed,
                uv_per_unit=10.0 / options.gain_mm_mv,
                is_synthetic=synthetic,
                case=str(case_id),
                chest_uv_per_unit=None if chest_gain is None else 10.0 / chest_gain,
            )
        )
    result = audit_panels(panels, alpha=AUDIT_ALPHA)
    audit = {
        "audited_at": timezone.now().isoformat(),
        "panel_length": study.panel_length,
        "audited_for": audited_for(study),
        **result.as_dict(),
    }
    Study.objects.filter(pk=study.pk).update(blinding_audit=audit)
    study.blinding_audit = audit
    return audit


def audited_for(study: Study) -> str:
    """Fingerprint of what an audit saw: the panel settings and the study's ECGs; opening
    refuses an audit whose fingerprint no longer matches the study."""
    ecgs = ",".join(str(pk) for pk in study_ecg_ids(study))
    return hashlib.sha256(f"{panel_settings_key(study)}|{ecgs}".encode()).hexdigest()


def _panels_to_fetch(study: Study) -> list[tuple[int, int, bool]]:
    """(case, ECG, is synthetic) of every blinded panel a reader may be shown."""
    cases = study.cases.exclude(kind=Case.Kind.ATTENTION).values_list(
        "pk", "real_ecg_id", "synthetic_ecg_id"
    )
    return [
        (case_id, ecg_id, synthetic)
        for case_id, real_id, synthetic_id in cases
        for ecg_id, synthetic in ((real_id, False), (synthetic_id, True))
        if ecg_id is not None
    ]
