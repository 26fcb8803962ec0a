"""What readers are told before reading and the page geometry the calipers measure on
(pure: no database)."""

from __future__ import annotations

import pytest

from assessment.reading import expectations, page_geometry
from ecg_render.layout import page_layout
from ecg_render.options import RenderOptions


def test_expectations_state_items_minutes_paper_speed_and_gain():
    page = page_layout(RenderOptions())
    paired = expectations(page, items=5, paired=True)  # 5 x 45 s = 3.75 min
    assert (paired.items, paired.minutes, paired.paper_text) == (5, 4, "25 mm/s, 10 mm/mV")
    single = expectations(page, items=1, paired=False)
    assert single.minutes == 1
    split = page_layout(RenderOptions(speed_mm_s=50.0, chest_gain_mm_mv=5.0))
    assert expectations(split, items=2, paired=True).paper_text == (
        "50 mm/s, limb 10 mm/mV, chest 5 mm/mV"
    )


def test_expectations_count_practice_items_apart_as_the_case_pages_number_them():
    page = page_layout(RenderOptions())
    with_practice = expectations(page, items=12, paired=False, practice=2)
    assert with_practice.items_text == "10 items and 2 practice items"
    assert with_practice.minutes == 6  # the time counts all 12
    assert expectations(page, items=2, paired=False, practice=1).items_text == (
        "1 item and 1 practice item"
    )
    assert expectations(page, items=3, paired=True).items_text == "3 items"


def regions_named(geometry: dict, name: str) -> list[dict]:
    return [region for region in geometry["regions"] if region["name"] == name]


@pytest.mark.parametrize("layout", ["3x4+R", "6x2", "12x1", "cabrera"])
def test_every_lead_cell_has_a_region_with_its_own_gain(layout):
    options = RenderOptions(layout=layout, chest_gain_mm_mv=5.0)
    page = page_layout(options)
    geometry = page_geometry(page)
    cells = [r for r in geometry["regions"] if r["name"] != "calibration"]
    assert len(cells) == len(page.segments)
    for region, segment in zip(cells, page.segments, strict=True):
        assert region["name"] == segment.label
        assert region["gain"] == (5.0 if segment.lead.startswith("V") else 10.0)
        row = page.rows[segment.row]
        assert (region["y0"], region["y1"]) == (row.top_mm, row.bottom_mm)
        assert region["x1"] - region["x0"] == pytest.approx(
            (segment.end_s - segment.start_s) * page.speed_mm_s
        )
    assert (geometry["width_mm"], geometry["height_mm"]) == (page.width_mm, page.height_mm)


def test_calibration_regions_follow_the_drawn_pulse_also_under_split_gain():
    plain = page_geometry(page_layout(RenderOptions()))
    assert [(r["x0"], r["x1"], r["gain"]) for r in regions_named(plain, "calibration")] == [
        (5.0, 15.0, 10.0)
    ] * 4
    # 3x4: each row holds limb and chest leads, so its pulse steps from 10 to 5 mm/mV
    # halfway: the second half of the pulse is read at the chest gain.
    split_page = page_layout(RenderOptions(chest_gain_mm_mv=5.0))
    split = regions_named(page_geometry(split_page), "calibration")
    first_row = [
        (r["x0"], r["x1"], r["gain"]) for r in split if r["y0"] == split_page.rows[0].top_mm
    ]
    assert first_row == [(5.0, 10.0, 10.0), (10.0, 15.0, 5.0)]
    # The rhythm strip (lead II alone) keeps a single pulse at the limb gain.
    strip = [r for r in split if r["y0"] == split_page.rows[3].top_mm]
    assert [(r["x0"], r["x1"], r["gain"]) for r in strip] == [(5.0, 15.0, 10.0)]
