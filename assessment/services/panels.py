"""Reader panels: every ECG of a study rendered once, padded to one length, served alike.

A panel's bytes depend only on the harmonised waveform and the study's settings; padding
to one Content-Length per study and serving every panel from the same cache keep size and
timing from telling real and synthetic ECGs apart. The reader's view and the blinding
audit both go through :func:`panel_response`, so the audit measures what readers receive.
"""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.http import HttpResponse

from assessment.errors import StudyStateError
from assessment.models import RenderedPanel, Study
from assessment.selectors import ecg_ids_of
from ecg_render.formats import CONTENT_TYPES, render_bytes
from ecg_render.options import RenderOptions
from generator.core.harmonise import harmonise
from generator.models import ECG

# Bump when harmonisation or the SVG writer changes what a panel looks like.
PANEL_FORMAT_VERSION = 2
PANEL_BLOCK_BYTES = 4096
_RENDER_CHUNK = 50
_PAD_OPEN, _PAD_CLOSE = b"<!--", b"-->\n"
_SVG_END = b"</svg>\n"


def panel_settings_key(study: Study) -> str:
    """Fingerprint of everything that shapes a study's panels."""
    shaping = {
        "version": PANEL_FORMAT_VERSION,
        "harmonisation": study.harmonisation_spec().as_dict(),
        "layout": study.layout,
    }
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()


def panel_render(study: Study, ecg: ECG) -> bytes:
    """The unpadded SVG of ``ecg`` harmonised and rendered with the study's settings."""
    spec = study.harmonisation_spec()
    signal = harmonise(ecg.signal(), ecg.sampling_rate, spec)
    return render_bytes(signal, spec.sampling_rate, RenderOptions(layout=study.layout), "svg")


def padded(svg: bytes, length: int) -> bytes:
    """``svg`` grown to exactly ``length`` bytes by a comment before the closing tag."""
    if not svg.endswith(_SVG_END):
        raise ValueError("a panel SVG must end with </svg> and a newline")
    fill = length - len(svg) - len(_PAD_OPEN) - len(_PAD_CLOSE)
    if fill < 0:
        raise ValueError(f"a {len(svg)}-byte panel cannot be padded to {length} bytes")
    return svg + _PAD_OPEN + b" " * fill + _PAD_CLOSE


def padded_length(longest: int) -> int:
    """The study's panel length: the longest panel plus padding room, rounded up to a block."""
    room = longest + len(_PAD_OPEN) + len(_PAD_CLOSE)
    return -(-room // PANEL_BLOCK_BYTES) * PANEL_BLOCK_BYTES


def study_ecg_ids(study: Study) -> list[int]:
    """Every ECG a reader of the study may be shown (each once, in id order)."""
    return sorted(ecg_ids_of(study.cases.all()))


@transaction.atomic
def study_panels_prepare(*, study: Study) -> int:
    """Render every panel of the study under its current settings (re-rendering all of
    them when the settings changed) and pad them to one length; returns that length."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    key = panel_settings_key(study)
    ecg_ids = study_ecg_ids(study)
    if study.panel_key == key and study.panel_length is not None:
        have = set(
            RenderedPanel.objects.filter(study=study, settings_key=key).values_list(
                "ecg_id", flat=True
            )
        )
        if have.issuperset(ecg_ids):
            return study.panel_length
    try:
        # Plain queries in chunks, not a server-side cursor: an error while drawing must
        # leave the transaction usable.
        bodies = {
            ecg.pk: panel_render(study, ecg)
            for start in range(0, len(ecg_ids), _RENDER_CHUNK)
            for ecg in ECG.objects.filter(pk__in=ecg_ids[start : start + _RENDER_CHUNK])
        }
    except ValueError as exc:  # settings that no longer fit the study's ECGs
        raise StudyStateError(f"study '{study.name}': its panels cannot be drawn: {exc}") from exc
    length = padded_length(max((len(b) for b in bodies.values()), default=0))
    RenderedPanel.objects.filter(study=study).delete()
    RenderedPanel.objects.bulk_create(
        RenderedPanel(study=study, ecg_id=pk, settings_key=key, content=padded(body, length))
        for pk, body in bodies.items()
    )
    study.panel_key, study.panel_length = key, length
    study.save(update_fields=["panel_key", "panel_length"])
    return length


def panel_bytes(study: Study, ecg_id: int) -> bytes:
    """The panel a reader receives for ``ecg_id``: from the study's cache, which is
    (re)built for the whole study when a panel is missing or the settings changed."""
    key = panel_settings_key(study)
    row = (
        RenderedPanel.objects.filter(study_id=study.pk, ecg_id=ecg_id, settings_key=key)
        .values_list("content", flat=True)
        .first()
    )
    if row is None:
        study_panels_prepare(study=study)
        row = RenderedPanel.objects.values_list("content", flat=True).get(
            study_id=study.pk, ecg_id=ecg_id, settings_key=key
        )
    return bytes(row)


def panel_response(study: Study, ecg_id: int) -> HttpResponse:
    """The HTTP response of one panel: constant length, never compressed, the same header
    set for every ECG, no validators (ETag/Last-Modified) and no caching."""
    body = panel_bytes(study, ecg_id)
    response = HttpResponse(body, content_type=CONTENT_TYPES["svg"])
    response["Content-Length"] = str(len(body))
    # no-transform: a proxy must not compress panels (their gzip size follows the noise).
    response["Cache-Control"] = "private, no-store, max-age=0, no-transform"
    return response
