"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live_server,
a small matched ECG store and a logged-in page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import EcgFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REAL_ORIGIN = "e2e-real"
SYNTHETIC_ORIGIN = "e2e-gen"
# Label sets of the store: (codes, pairs).
STORE_LAYOUT = [(("NORM", "SR"), 5), (("IMI", "SR"), 2), (("LVH", "SR"), 1)]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Personas are created per test; the production hasher costs ~0.5 s per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="package")
def browser():
    """One headless chromium for these tests (never downloaded: Debian's package). Scoped to
    the package: a running sync Playwright would refuse to let other tests start theirs."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium); no browser is downloaded")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh browser context (no cookies) with a desktop-sized window."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def e2e_store(transactional_db):
    """8 real and 8 synthetic factory ECGs with matching label sets."""
    for codes, count in STORE_LAYOUT:
        for _ in range(count):
            EcgFactory(source="real", origin=REAL_ORIGIN, codes=codes, strat_fold=9)
            EcgFactory(
                source="synthetic", origin=SYNTHETIC_ORIGIN, codes=codes, generator_name="e2e"
            )


def log_in(page, base_url: str, username: str, password: str, *, path: str = "/") -> None:
    """Open ``path`` (which redirects to the login page) and log in."""
    page.goto(base_url + path)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("#login-submit, input[type=submit]")


# Screenshots of every page type, kept for people to look at (README, "Screenshots").
SCREENSHOT_DIR = Path(
    os.environ.get(
        "ECG_SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "var" / "screenshots"
    )
)
SCREEN_SIZES = {"1280x720": (1280, 720), "1440x900": (1440, 900), "1920x1080": (1920, 1080)}


def save_screenshot(page, name: str) -> Path:
    """Write the window as ``SCREENSHOT_DIR/<name>.png`` (a PNG a person can open) and
    return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    png = page.screenshot(path=path)
    assert png[:8] == b"\x89PNG\r\n\x1a\n", name
    return path


PAINTED = "() => document.documentElement.dataset.painted === 'true'"


def press_enter_and_follow(page) -> str:
    """Press Enter and wait for where it leads: a new page, or a next item swapped in place
    (the URL changes either way); on an item page, until its ECGs are painted. Returns the
    new URL."""
    before = page.url
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url != before)
    page.wait_for_load_state()
    if page.locator("#item-page").count():
        page.wait_for_function(PAINTED)
    return page.url
