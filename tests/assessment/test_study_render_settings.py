"""A study's render settings: chosen at seeding, one RenderOptions for every panel of the
study (real and synthetic alike), and a row height fitted once to the study's ECGs."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

import pytest

from assessment.errors import StudySeedError
from assessment.forms import StudySeedForm
from assessment.models import Study
from assessment.services import audit as audit_service
from assessment.services.panels import (
    panel_bytes,
    panel_settings_key,
    study_ecg_ids,
    study_page,
    study_render_options,
)
from ecg_render.layout import gain_text, page_layout, row_height_for_extent
from ecg_render.options import RenderOptions
from ecg_render.traces import trace_extent_mm
from generator.core.harmonise import harmonise
from generator.models import ECG
from tests.assessment.conftest import seed
from tests.ecg_render.svg_reading import by_class, frame, mm

pytestmark = pytest.mark.django_db


def panel_root(study: Study, ecg_id: int) -> ET.Element:
    return ET.fromstring(panel_bytes(study, ecg_id))


def test_render_options_are_the_studys_settings(small_store):
    settings = {
        "layout": "6x2",
        "speed_mm_s": 50,
        "gain_mm_mv": 20,
        "chest_gain_mm_mv": 10,
        "harmonisation": {"bandpass_hz": [0.5, 40.0]},
    }
    study = seed(n=4, readers=(), open_now=False, settings=settings)
    options = study_render_options(study)
    assert options == RenderOptions(
        layout="6x2",
        speed_mm_s=50.0,
        gain_mm_mv=20.0,
        chest_gain_mm_mv=10.0,
        row_height_mm=study.row_height_mm,
        clip=True,
        filter_band_hz=(0.5, 40.0),
    )
    assert study_page(study) == page_layout(options)  # what the reader's calipers use
    assert gain_text(study_page(study)) == "limb 20 mm/mV, chest 10 mm/mV"
    (footer,) = by_class(panel_root(study, study_ecg_ids(study)[0]), "footer")
    assert footer.text == "\u2003\u2003".join(
        ["50 mm/s", "limb 20 mm/mV, chest 10 mm/mV", "100 samples/s", "filter 0.5\u201340 Hz"]
    )


def test_defaults_draw_25_mm_s_at_10_mm_per_mv_without_split_gain(small_store):
    study = seed(n=4, readers=(), open_now=False)
    assert (study.speed_mm_s, study.gain_mm_mv, study.chest_gain_mm_mv) == (25.0, 10.0, None)
    options = study_render_options(study)
    assert options.clip and options.filter_band_hz is None and options.layout == "3x4+R"
    # The factory ECGs stay within +-1.95 mV: the layout's default 40 mm rows hold them.
    assert study.row_height_mm == 40.0


def test_row_height_is_fitted_once_to_the_studys_ecgs_and_shared_by_every_panel(turing_store):
    study = seed("turing", n=10, real="turing-real", synthetic="turing-synthetic", readers=())
    spec = study.harmonisation_spec()
    unfitted = RenderOptions()
    extents = {
        ecg.pk: trace_extent_mm(
            harmonise(ecg.signal(), ecg.sampling_rate, spec), spec.sampling_rate, unfitted
        )
        for ecg in ECG.objects.filter(pk__in=study_ecg_ids(study))
    }
    assert study.row_height_mm == row_height_for_extent(max(extents.values()), unfitted)
    # The real ECGs of the Turing set reach beyond the default 40 mm rows, so the rows grow
    # (up to 60 mm; taller complexes are clipped under a marker).
    assert 40.0 < study.row_height_mm <= 60.0
    sources = dict(ECG.objects.filter(pk__in=extents).values_list("pk", "source"))
    assert set(sources.values()) == {"real", "synthetic"}
    pages = set()
    for ecg_id in extents:
        root = panel_root(study, ecg_id)
        paper = frame(root)
        pitches = {b - a for a, b in zip(paper.baselines_mm, paper.baselines_mm[1:], strict=False)}
        pages.add((mm(root.get("width")), mm(root.get("height")), *pitches))
    assert pages == {(270.0, 5 + 4 * study.row_height_mm + 10, study.row_height_mm)}
    # The row height is part of what shapes the panels: changing it re-renders them all.
    refitted = copy.copy(study)
    refitted.row_height_mm = 40.0
    assert panel_settings_key(refitted) != panel_settings_key(study)


def test_overlapping_tall_complexes_keep_the_standard_rows_and_hide_nothing(turing_store):
    study = seed("overlap", n=10, real="turing-real", synthetic="turing-synthetic",
                 readers=(), settings={"tall_complexes": "overlap"})  # fmt: skip
    assert study.row_height_mm is None  # the layout's 40 mm, though these ECGs reach beyond
    options = study_render_options(study)
    assert not options.clip and options.row_height_mm is None
    fitted = seed("fitted", n=10, real="turing-real", synthetic="turing-synthetic",
                  readers=(), settings={"allow_shared_ecgs": True})  # fmt: skip
    assert fitted.row_height_mm > 40.0 and study_render_options(fitted).clip
    assert panel_settings_key(study) != panel_settings_key(fitted)
    for ecg_id in study_ecg_ids(study):
        root = panel_root(study, ecg_id)
        paper = frame(root)
        pitches = {b - a for a, b in zip(paper.baselines_mm, paper.baselines_mm[1:], strict=False)}
        assert pitches == {40.0}
        assert not by_class(root, "clip-markers")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"chest_gain_mm_mv": 7}, "chest_gain_mm_mv"),
        ({"gain_mm_mv": 12.5}, "gain_mm_mv"),
        ({"speed_mm_s": 30}, "speed_mm_s"),
        ({"gain_mm_mv": "10"}, "setting gain_mm_mv must be a number"),
        ({"speed_mm_s": None}, "setting speed_mm_s must be a number"),
        ({"row_height_mm": 60}, "unknown study settings: row_height_mm"),
        ({"tall_complexes": "shrink"}, "tall_complexes"),
    ],
)
def test_bad_render_settings_are_refused_at_seeding(small_store, bad, message):
    with pytest.raises(StudySeedError, match=message):
        seed(n=4, readers=(), open_now=False, settings=bad)
    assert not Study.objects.exists()


def test_a_blank_chest_gain_is_the_limb_gain(small_store):
    study = seed(n=4, readers=(), open_now=False, settings={"chest_gain_mm_mv": None})
    assert study.chest_gain_mm_mv is None
    assert gain_text(study_page(study)) == "10 mm/mV"


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ({"speed_mm_s": "50.0", "gain_mm_mv": "5.0", "chest_gain_mm_mv": ""}, (50.0, 5.0, None)),
        ({"chest_gain_mm_mv": "5.0"}, (25.0, 10.0, 5.0)),
        ({"tall_complexes": "overlap"}, (25.0, 10.0, None, "overlap")),
    ],
)
def test_the_seed_form_passes_render_settings_on(small_store, posted, expected):
    data = {
        "name": "form", "title": "Pilot", "design": "paired", "n": "4",
        "real_origins": ["test-real"], "synthetic_origins": ["test-gen"], "practice": "0",
        "unaware": "0", "layout": "3x4+R", "synthetic_share": "0.5", "repeat_share": "0",
        "repeat_min_distance": "5", "attention_checks": "0", "equivalence_low": "0.4",
        "equivalence_high": "0.6", "assignment_mode": "all", "anchor_count": "0",
        "block_count": "1", **posted,
    }  # fmt: skip
    form = StudySeedForm(data)
    assert form.is_valid(), form.errors
    settings = form.seed_kwargs()["settings"]
    names = ("speed_mm_s", "gain_mm_mv", "chest_gain_mm_mv", "tall_complexes")
    assert tuple(settings[name] for name in names) == (*expected, "taller_rows")[:4]
    assert form["chest_gain_mm_mv"].field.choices[0] == ("", "same as the limb leads")


def test_the_audit_reads_each_lead_at_the_studys_gain(small_store, monkeypatch):
    study = seed(
        n=4, readers=(), open_now=False, settings={"gain_mm_mv": 20, "chest_gain_mm_mv": 5}
    )
    seen = []

    def capture(panels, alpha):
        seen.extend(panels)
        raise RuntimeError("captured")

    monkeypatch.setattr(audit_service, "audit_panels", capture)
    with pytest.raises(RuntimeError, match="captured"):
        audit_service.blinding_audit(study=study)
    assert len(seen) == 8
    assert {(p.uv_per_unit, p.chest_uv_per_unit) for p in seen} == {(0.5, 2.0)}
