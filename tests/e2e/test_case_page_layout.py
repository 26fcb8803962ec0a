"""The case page as a physician reads it: both ECGs in view at common screen sizes, the
arrangements (side by side, stacked, flip), magnifier and calipers on a known calibration
pulse, the missing-answer list, and the next item prefetched and painted quickly."""

from __future__ import annotations

import json
import re
import statistics
import time

import pytest

from assessment.services import (
    EcgPool,
    enrolment_acknowledge_instructions,
    enrolment_consent,
    study_seed,
)
from tests.e2e.conftest import (
    PAINTED,
    REAL_ORIGIN,
    SCREEN_SIZES,
    SYNTHETIC_ORIGIN,
    log_in,
    press_enter_and_follow,
    save_screenshot,
)
from tests.personas import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def open_study(page, live_server, reader, *, design: str, n: int, practice: int = 0, settings=None):
    """Seed and open a study for ``reader`` (consent and instructions done), log in and
    open its first item; returns the study."""
    study = study_seed(
        name=f"e2e-{design}",
        design=design,
        n=n,
        pool=EcgPool(real_origins=[REAL_ORIGIN], synthetic_origins=[SYNTHETIC_ORIGIN]),
        readers=[reader.username],
        practice=practice,
        settings=settings,
        open_now=True,
    )
    enrolment = study.enrolments.get()
    enrolment_consent(
        enrolment=enrolment, specialty="cardiology", years_experience=8, ecgs_per_week=40
    )
    enrolment_acknowledge_instructions(enrolment=enrolment)
    log_in(page, live_server.url, reader.username, PASSWORD)
    with page.expect_navigation():
        page.click(".study-link")
    page.wait_for_function(PAINTED)
    return study


def boxes(page) -> dict:
    """Bounding boxes of the visible ECG images and of the answer bar, and the window."""
    return page.evaluate(
        """() => ({
            window: [innerWidth, innerHeight],
            scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
            bar: document.getElementById('answer-form').getBoundingClientRect().toJSON(),
            panels: [...document.querySelectorAll('.ecg-image')]
                .map(i => i.getBoundingClientRect().toJSON()).filter(r => r.width > 0),
        })"""
    )


def assert_in_view(found: dict, count: int, *, min_width: float = 500) -> None:
    width, height = found["window"]
    assert len(found["panels"]) == count
    for box in found["panels"]:
        assert box["left"] >= 0 and box["right"] <= width, box
        assert box["top"] >= 0 and box["bottom"] <= found["bar"]["top"], (box, found["bar"])
        assert box["width"] >= min_width, box  # not a thumbnail
    assert found["bar"]["bottom"] <= height
    assert found["scroll"][1] <= height  # nothing below the fold


@pytest.mark.parametrize("design", ["paired", "single"])
def test_every_panel_is_in_view_above_the_answer_bar(
    design, page, live_server, e2e_store, reader_a
):
    open_study(page, live_server, reader_a, design=design, n=3)
    count = 2 if design == "paired" else 1
    for size, (width, height) in SCREEN_SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(50)
        found = boxes(page)
        assert_in_view(found, count)
        save_screenshot(page, f"case-{design}-{size}")
        if design == "paired":
            # The default fits both, side by side on these landscape screens: the larger of
            # the two arrangements.
            assert page.get_attribute("#panels", "data-arrangement") == "side"
            first, second = found["panels"]
            assert first["right"] <= second["left"]
    if design == "single":
        return

    # The reader may choose: stacked also fits, and flip shows one at a time in place.
    page.set_viewport_size({"width": 1280, "height": 720})
    page.click(".tool[data-view='stacked']")
    found = boxes(page)
    assert_in_view(found, 2, min_width=300)  # a short window leaves stacked ECGs small
    first, second = found["panels"]
    assert first["bottom"] <= second["top"]
    save_screenshot(page, "case-paired-stacked-1280x720")
    page.click(".tool[data-view='fit']")
    page.keyboard.press("Space")  # into flip, showing A
    assert page.get_attribute("#panels", "data-view") == "flip"
    found = boxes(page)
    assert_in_view(found, 1)
    shown_a = page.evaluate("() => document.getElementById('panel-a-image').width")
    page.keyboard.press("Space")
    assert page.get_attribute("#panels", "data-shown") == "b"
    assert page.locator("#panel-b-image").is_visible()
    assert not page.locator("#panel-a-image").is_visible()
    assert page.evaluate("() => document.getElementById('panel-b-image').width") == shown_a
    save_screenshot(page, "case-paired-flip-1280x720")
    # The choice is remembered on the next page load.
    page.reload()
    page.wait_for_function(PAINTED)
    assert page.get_attribute("#panels", "data-view") == "flip"


# Denser pages and a taller answer bar (label question and a reason field) still fit.
DEMANDING = {
    "12x1-paired-questions": (
        "paired",
        {"layout": "12x1", "ask_label_consistency": True, "ask_reason": True},
        250,
    ),
    "6x2-20mm-single": ("single", {"layout": "6x2", "gain_mm_mv": 20.0}, 300),
    "3x4-50mm-split-paired": (
        "paired",
        {"speed_mm_s": 50.0, "gain_mm_mv": 10.0, "chest_gain_mm_mv": 5.0},
        500,
    ),
}


@pytest.mark.parametrize("name", DEMANDING)
def test_other_page_formats_and_questions_fit_too(name, page, live_server, e2e_store, reader_a):
    design, settings, min_width = DEMANDING[name]
    page.set_viewport_size({"width": 1280, "height": 720})
    open_study(page, live_server, reader_a, design=design, n=2, settings=settings)
    save_screenshot(page, f"case-{name}-1280x720")
    assert_in_view(boxes(page), 2 if design == "paired" else 1, min_width=min_width)


def calibration_pulse(page) -> tuple[tuple[float, float], tuple[float, float], float, float]:
    """The first row's calibration pulse as drawn in the served panel: the foot of its
    rising edge and the top of its falling edge in mm, and the panel size in mm."""
    svg = page.request.get(
        page.evaluate("() => document.getElementById('panel-a-image').src")
    ).text()
    view_box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    path = re.search(r'class="calibration" d="([^"]+)"', svg).group(1)
    values = [float(v) for v in NUMBER.findall(path)]
    points = list(zip(values[0::2], values[1::2], strict=True))
    return points[1], points[3], float(view_box.group(1)), float(view_box.group(2))


def to_client(page, point_mm, size_mm) -> tuple[float, float]:
    box = page.locator("#panel-a-image").bounding_box()
    return (
        box["x"] + point_mm[0] / size_mm[0] * box["width"],
        box["y"] + point_mm[1] / size_mm[1] * box["height"],
    )


def last_caliper_point(page) -> list[float]:
    return json.loads(page.get_attribute("#panels", "data-caliper-points"))[-1]


def align_last_point(page, target: tuple[float, float]) -> None:
    """Move the last caliper point onto ``target`` (mm) with the arrow keys."""
    for axis, (forward, back) in enumerate((("ArrowRight", "ArrowLeft"), ("ArrowDown", "ArrowUp"))):
        for _ in range(30):
            current = last_caliper_point(page)[axis]
            if abs(current - target[axis]) < 1e-6:
                break
            page.keyboard.press(forward if target[axis] > current else back)
        assert last_caliper_point(page)[axis] == pytest.approx(target[axis], abs=1e-6)


def test_calipers_measure_the_calibration_pulse_and_the_magnifier_follows(
    page, live_server, e2e_store, reader_a
):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_study(page, live_server, reader_a, design="paired", n=3)
    foot, top, width_mm, height_mm = calibration_pulse(page)
    size = (width_mm, height_mm)
    assert top[0] - foot[0] == pytest.approx(5.0) and foot[1] - top[1] == pytest.approx(10.0)

    page.keyboard.press("C")
    assert page.get_attribute("#calipers-toggle", "aria-pressed") == "true"
    readout = page.locator("#caliper-readout")
    px_per_mm = page.locator("#panel-a-image").bounding_box()["width"] / width_mm
    # Clicked on the pulse's corners, the reading is right to within a screen pixel ...
    page.mouse.click(*to_client(page, foot, size))
    page.mouse.click(*to_client(page, top, size))
    pixel_ms = 1000 / (25 * px_per_mm)
    assert float(readout.get_attribute("data-dt-ms")) == pytest.approx(200, abs=pixel_ms)
    assert float(readout.get_attribute("data-dmv")) == pytest.approx(1.0, abs=0.1 / px_per_mm)
    # ... and exact once each point is set on the edge with the arrow keys (0.1 mm steps),
    # as a reader does under the magnifier.
    page.mouse.click(*to_client(page, foot, size))
    align_last_point(page, foot)
    page.mouse.click(*to_client(page, top, size))
    align_last_point(page, top)
    text = readout.inner_text()
    assert text == "Δt 200 ms · rate 300/min · Δ 1.00 mV", text
    assert float(readout.get_attribute("data-dt-ms")) == pytest.approx(200, abs=1e-3)
    assert float(readout.get_attribute("data-dmv")) == pytest.approx(1.0, abs=1e-4)
    # Two lines per point on the caliper layer over panel A.
    assert page.locator("#panel-a .caliper-layer line").count() == 4
    save_screenshot(page, "case-calipers-1280x720")

    # Each arrow key moves the last point 0.1 mm: 4 ms at 25 mm/s; Shift moves 1 mm.
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert float(readout.get_attribute("data-dt-ms")) == pytest.approx(220, abs=1e-3)
    page.keyboard.press("Shift+ArrowUp")
    assert float(readout.get_attribute("data-dmv")) == pytest.approx(1.1, abs=1e-4)
    page.keyboard.press("Escape")
    assert readout.get_attribute("data-dt-ms") is None

    # The magnifier centres on the point under the pointer, at 2-4x.
    page.keyboard.press("M")
    target = to_client(page, top, size)
    page.mouse.move(*target)
    lens = page.locator("#magnifier")
    assert lens.is_visible()
    assert lens.get_attribute("data-zoom") == "3"
    page.keyboard.press("+")
    page.keyboard.press("+")  # capped at 4x
    assert lens.get_attribute("data-zoom") == "4"
    geometry = page.evaluate(
        """() => {
            const lens = document.getElementById('magnifier').getBoundingClientRect();
            const inner = document.querySelector('#magnifier img').getBoundingClientRect();
            const image = document.getElementById('panel-a-image').getBoundingClientRect();
            return {lens: lens.toJSON(), inner: inner.toJSON(), image: image.toJSON()};
        }"""
    )
    assert geometry["inner"]["width"] == pytest.approx(4 * geometry["image"]["width"], rel=1e-3)
    centre = (
        geometry["lens"]["left"] + geometry["lens"]["width"] / 2,
        geometry["lens"]["top"] + geometry["lens"]["height"] / 2,
    )
    assert centre == pytest.approx(target, abs=1.5)
    # The magnified image point at the lens centre is the point under the pointer.
    shown_mm = (
        (centre[0] - geometry["inner"]["left"]) / geometry["inner"]["width"] * width_mm,
        (centre[1] - geometry["inner"]["top"]) / geometry["inner"]["height"] * height_mm,
    )
    assert shown_mm == pytest.approx(top, abs=0.3)
    save_screenshot(page, "case-magnifier-1280x720")
    left = geometry["lens"]["left"]
    page.keyboard.press("ArrowLeft")
    moved = page.evaluate("() => document.getElementById('magnifier').getBoundingClientRect().left")
    assert moved < left
    for _ in range(3):
        page.keyboard.press("-")
    assert lens.get_attribute("data-zoom") == "2"
    page.keyboard.press("M")
    assert not lens.is_visible()

    page.keyboard.press("?")
    assert page.locator("#shortcuts-help").is_visible()
    save_screenshot(page, "case-shortcuts-1280x720")
    page.keyboard.press("Escape")
    assert not page.locator("#shortcuts-help").is_visible()


def test_submitting_with_answers_missing_lists_them_in_the_readers_words(
    page, live_server, e2e_store, reader_a
):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_study(page, live_server, reader_a, design="paired", n=3)
    url = page.url
    page.keyboard.press("Enter")
    missing = page.locator("#missing")
    assert missing.is_visible()
    items = missing.locator("li").all_inner_texts()
    assert items == [
        "Choose the ECG you think is synthetic: A or B.",
        "Say how sure you are, from 1 (guessing) to 6 (certain).",
    ]
    assert page.url == url  # nothing was sent
    save_screenshot(page, "case-missing-1280x720")
    assert_in_view(boxes(page), 2)  # the panels shrink to make room for the message
    page.keyboard.press("A")
    assert missing.locator("li").all_inner_texts() == [
        "Say how sure you are, from 1 (guessing) to 6 (certain)."
    ]
    page.keyboard.press("5")
    assert not missing.is_visible()
    assert press_enter_and_follow(page) != url


# For each panel now shown: whether it was fetched before Enter (prefetched), and the bytes
# fetched for it since.
PANEL_FETCHES = """() => {
    const sent = window.ecgTiming.sent;
    return [...document.querySelectorAll('.ecg-image')].map(image => {
        const entries = performance.getEntriesByName(image.src, 'resource');
        return {
            prefetched: entries.some(e => e.startTime < sent && e.decodedBodySize > 10000),
            fetched_after: entries.filter(e => e.startTime >= sent)
                .reduce((sum, e) => sum + e.transferSize, 0),
        };
    });
}"""


def test_next_item_is_prefetched_and_swapped_in_place(page, live_server, e2e_store, reader_a):
    page.set_viewport_size({"width": 1440, "height": 900})
    study = open_study(page, live_server, reader_a, design="paired", n=8)
    page.evaluate("() => { window.sameDocument = true; }")
    times, in_page = [], []
    for index in range(7):
        before = page.url
        if index == 0:  # a tool clicked with the mouse does not keep Enter from submitting
            page.click(".tool[data-view='stacked']")
            page.click(".tool[data-view='fit']")
        page.keyboard.press("A")
        page.keyboard.press("3")
        start = time.perf_counter()
        after = press_enter_and_follow(page)
        times.append((time.perf_counter() - start) * 1000)
        assert after != before and re.search(r"/item/[\w-]+/$", after)
        # The answer was posted in the background and the next item swapped in: still the
        # same document, with the new item's own answer form, empty.
        assert page.evaluate("() => window.sameDocument") is True
        assert page.locator("input[name=answer]:checked").count() == 0
        timing = page.evaluate(
            "() => [window.ecgTiming.sent, Number(document.documentElement.dataset.paintedAt)]"
        )
        in_page.append(timing[1] - timing[0])
        # Both panels of the new item were fetched while the previous one was read, and
        # nothing was fetched for them after Enter.
        fetches = page.evaluate(PANEL_FETCHES)
        assert len(fetches) == 2, fetches
        assert all(f["prefetched"] and f["fetched_after"] == 0 for f in fetches), fetches
    assert study.enrolments.get().assignments.filter(judgments__isnull=False).count() == 7
    p95 = statistics.quantiles(in_page, n=20)[-1]
    print(
        f"Enter -> next item painted: median {statistics.median(in_page):.0f} ms in the page, "
        f"p95 {p95:.0f} ms; {statistics.median(times):.0f} ms median seen by the test"
    )
    # A generous bound that guards the mechanism (prefetch, swap) without timing the
    # machine; benchmarks/next_item.py measures the figure.
    assert statistics.median(in_page) < 1000

    # Back after a swap reloads, and the server sends the reader to the item they are on.
    current = page.url
    page.go_back()
    page.wait_for_url(current)
    page.wait_for_function(PAINTED)
    assert page.evaluate("() => window.sameDocument") is None
    upcoming = study.enrolments.get().assignments.filter(judgments__isnull=True)
    assert page.url.rstrip("/").endswith(upcoming.order_by("position").first().token)


# Each unselected answer button's border colour and the colour behind the button (the
# first ancestor with an opaque background), as computed by the browser.
CHOICE_COLOURS = """() => [...document.querySelectorAll('.choice')].map(choice => {
    let behind = choice.parentElement;
    while (behind && getComputedStyle(behind).backgroundColor === 'rgba(0, 0, 0, 0)') {
        behind = behind.parentElement;
    }
    return [getComputedStyle(choice).borderTopColor,
            behind ? getComputedStyle(behind).backgroundColor : 'rgb(255, 255, 255)'];
})"""


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two CSS 'rgb(r, g, b)' colours."""

    def luminance(css: str) -> float:
        channels = [int(v) / 255 for v in NUMBER.findall(css)[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_unselected_answer_buttons_meet_3_to_1_contrast(page, live_server, e2e_store, reader_a):
    open_study(page, live_server, reader_a, design="paired", n=3)
    colours = page.evaluate(CHOICE_COLOURS)
    assert len(colours) == 2 + 6  # ECG A/B and confidence 1-6, none selected
    for border, behind in colours:
        assert contrast_ratio(border, behind) >= 3.0, (border, behind)
    assert contrast_ratio("rgb(255, 255, 255)", "rgb(0, 0, 0)") == pytest.approx(21.0)


def test_true_paper_scale_after_a_one_time_calibration(page, live_server, e2e_store, reader_a):
    page.set_viewport_size({"width": 1440, "height": 900})
    open_study(page, live_server, reader_a, design="paired", n=3)
    width_mm = json.loads(page.locator("#page-geometry").inner_text())["width_mm"]
    # The first time, paper scale asks for the screen's scale: a bar to match a bank card.
    page.keyboard.press("p")
    dialog = page.locator("#paper-calibration")
    assert dialog.is_visible()
    start = float(page.input_value("#calibration-range"))
    for _ in range(20):
        page.keyboard.press("ArrowRight")  # the range has focus; 0.01 px/mm a step
    px_per_mm = float(page.input_value("#calibration-range"))
    assert px_per_mm == pytest.approx(start + 0.2)
    bar = page.locator("#calibration-bar").bounding_box()["width"]
    assert bar == pytest.approx(85.6 * px_per_mm, abs=0.5)
    save_screenshot(page, "case-paper-calibration-1440x900")
    page.keyboard.press("Tab")  # to "Use this scale"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('panels').dataset.view === 'paper'")
    assert not dialog.is_visible()
    # 10 s at 25 mm/s are 250 mm on the screen: every mm of the page is px_per_mm pixels.
    shown = page.locator("#panel-a-image").bounding_box()
    assert shown["width"] == pytest.approx(width_mm * px_per_mm, abs=1)
    # Remembered: the next page load shows paper scale without asking again.
    page.reload()
    page.wait_for_function(PAINTED)
    assert page.get_attribute("#panels", "data-view") == "paper"
    assert not dialog.is_visible()
    page.keyboard.press("p")  # back to the fitted view
    assert page.get_attribute("#panels", "data-view") == "fit"


def test_paper_scale_scrolls_from_the_top_and_flips_at_paper_scale(
    page, live_server, e2e_store, reader_a
):
    page.set_viewport_size({"width": 1366, "height": 768})
    open_study(page, live_server, reader_a, design="paired", n=3)
    page.evaluate("() => localStorage.setItem('ecg.pxPerMm', '3.78')")
    page.keyboard.press("p")
    page.wait_for_function("() => document.getElementById('panels').dataset.view === 'paper'")
    scroll_top = "() => document.getElementById('panels').scrollTop"
    area = page.locator("#panels").bounding_box()
    # Scrolled to the top, ECG A's caption is at the top of the panel area, not above it.
    assert page.evaluate(scroll_top) == 0
    assert page.locator("#panel-a figcaption").bounding_box()["y"] >= area["y"] - 0.5
    save_screenshot(page, "case-paper-top-1366x768")
    page.keyboard.press("PageDown")  # the page keys scroll the panel area
    page.wait_for_function(f"() => ({scroll_top})() > 0")
    page.keyboard.press("ArrowDown")
    scrolled = page.evaluate(scroll_top)
    # Space shows A alone, then B alone, still at paper scale and at the same place.
    page.keyboard.press("Space")
    assert page.get_attribute("#panels", "data-view") == "paper"
    assert page.get_attribute("#panels", "data-paper-shown") == "a"
    assert not page.locator("#panel-b").is_visible()
    width = page.locator("#panel-a-image").bounding_box()["width"]
    page.keyboard.press("Space")
    assert page.get_attribute("#panels", "data-paper-shown") == "b"
    assert not page.locator("#panel-a").is_visible()
    assert page.locator("#panel-b-image").bounding_box()["width"] == pytest.approx(width)
    # One ECG alone is half as tall: the position is kept as far as it still exists.
    area_max = "() => { const p = document.getElementById('panels'); " + (
        "return p.scrollHeight - p.clientHeight; }"
    )
    expected = min(scrolled, page.evaluate(area_max))
    assert page.evaluate(scroll_top) == pytest.approx(expected, abs=1)
    page.keyboard.press("Home")
    assert page.evaluate(scroll_top) == 0


def test_enter_submits_after_answering_with_a_view_tool_focused(
    page, live_server, e2e_store, reader_a
):
    open_study(page, live_server, reader_a, design="paired", n=3)
    page.focus("#magnifier-toggle")
    page.keyboard.press("Enter")  # a tool reached with Tab: Enter presses it
    assert page.get_attribute("#magnifier-toggle", "aria-pressed") == "true"
    page.keyboard.press("a")
    page.keyboard.press("4")
    first = page.url
    assert press_enter_and_follow(page) != first
