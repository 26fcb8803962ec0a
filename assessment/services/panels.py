"""Reader panels: every ECG of a study rendered once, padded to one length, served alike.

A panel's bytes depend only on the harmonised waveform and the study's settings; padding
to one Content-Length per study and serving every panel from the same cache keep size and
timing from telling real and synthetic ECGs apart. The reader's view and the blinding
audit both go through :func:`panel_response`, so the audit measures what readers receive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, replace

from django.db import transaction
from django.http import HttpResponse

from assessment.errors import StudyStateError
from assessment.models import RenderedPanel, Study
from assessment.selectors import ecg_ids_of
from ecg_render.formats import CONTENT_TYPES, render_bytes
from ecg_render.layout import Page, page_layout, row_height_for_extent
from ecg_render.options import RenderOptions
from ecg_render.traces import trace_extent_mm
from generator.core.harmonise import harmonise
from generator.models import ECG

# Bump when harmonisation or the SVG writer changes what a panel looks like.
PANEL_FORMAT_VERSION = 3
PANEL_BLOCK_BYTES = 4096
_RENDER_CHUNK = 50
_PAD_OPEN, _PAD_CLOSE = b"<!--", b"-->\n"
_SVG_END = b"</svg>\n"
PANEL_CACHE_CONTROL = "private, max-age=3600, immutable, no-transform"


def study_render_options(study: Study) -> RenderOptions:
    """How every panel of the study is drawn, real and synthetic alike: its layout, paper
    speed, gains and row height, tall complexes clipped at the row edge under a marker or
    overlapping the next row (``tall_complexes``), the footer naming the study's filter
    band. The one source of a study's render settings."""
    band = study.harmonisation_spec().bandpass_hz
    return RenderOptions(
        layout=study.layout,
        speed_mm_s=study.speed_mm_s,
        gain_mm_mv=study.gain_mm_mv,
        chest_gain_mm_mv=study.chest_gain_mm_mv,
        row_height_mm=study.row_height_mm,
        clip=study.tall_complexes != Study.TallComplexes.OVERLAP,
        filter_band_hz=None if band is None else tuple(band),
    )


def study_row_height(study: Study) -> float | None:
    """The row pitch that holds the tallest of the study's ECGs (harmonised as shown), at
    most :data:`~ecg_render.layout.ROW_GROWTH_LIMIT` times the layout's default: computed
    once, when the study is seeded, so every panel shares it and taller complexes are
    clipped under a marker. None (the layout's standard pitch) when tall complexes
    overlap the next row; every ECG is still harmonised, so one that cannot be drawn is
    named here."""
    spec = study.harmonisation_spec()
    options = replace(study_render_options(study), row_height_mm=None)

    def extent(ecg: ECG) -> float:
        try:
            signal = harmonise(ecg.signal(), ecg.sampling_rate, spec)
        except ValueError as exc:  # a corrupt stored signal, or one the study cannot use
            raise ValueError(f"ECG {ecg.pk}: {exc}") from exc
        return trace_extent_mm(signal, spec.sampling_rate, options)

    tallest = max((extent(ecg) for ecg in _ecgs(study_ecg_ids(study))), default=0.0)
    if study.tall_complexes == Study.TallComplexes.OVERLAP:
        return None
    return row_height_for_extent(tallest, options)


def _ecgs(ecg_ids: list[int]) -> Iterator[ECG]:
    """The ECGs of ``ecg_ids``, loaded in chunks by plain queries (not a server-side
    cursor: an error while drawing must leave the transaction usable)."""
    for start in range(0, len(ecg_ids), _RENDER_CHUNK):
        yield from ECG.objects.filter(pk__in=ecg_ids[start : start + _RENDER_CHUNK])


def panel_settings_key(study: Study) -> str:
    """Fingerprint of everything that shapes a study's panels."""
    shaping = {
        "version": PANEL_FORMAT_VERSION,
        "harmonisation": study.harmonisation_spec().as_dict(),
        "render": asdict(study_render_options(study)),
    }
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()


def panel_render(study: Study, ecg: ECG) -> bytes:
    """The unpadded SVG of ``ecg`` harmonised and rendered with the study's settings."""
    spec = study.harmonisation_spec()
    signal = harmonise(ecg.signal(), ecg.sampling_rate, spec)
    return render_bytes(signal, spec.sampling_rate, study_render_options(study), "svg")


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
        bodies = {ecg.pk: panel_render(study, ecg) for ecg in _ecgs(ecg_ids)}
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
    set for every ECG, no validators (ETag/Last-Modified). The reader's own browser may
    keep it (a panel token's image never changes once its study is open), so the next
    item's panels are prefetched and a flip or magnifier never fetches again."""
    body = panel_bytes(study, ecg_id)
    response = HttpResponse(body, content_type=CONTENT_TYPES["svg"])
    response["Content-Length"] = str(len(body))
    # no-transform: a proxy must not compress panels (their gzip size follows the noise).
    response["Cache-Control"] = PANEL_CACHE_CONTROL
    return response


def study_page(study: Study) -> Page:
    """The page geometry every panel of the study shares (what the reader's calipers use)."""
    return page_layout(study_render_options(study))
