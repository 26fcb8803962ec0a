"""Benchmark: Enter -> next item fully painted, in Debian's chromium through gunicorn.

Run: python -m benchmarks.next_item [--items 14] [--rounds 3] [--port 8766]
     [--database postgres://postgres@127.0.0.1:5432/ecg_turing_load_next]

Loopback only and bounded: like benchmarks/load.py it creates (and drops first) its own
database with the offline demo store, seeds an open paired study and serves it with
gunicorn. One reader answers every item with the keyboard (A, 3, Enter) and the time from
Enter to the next item's panels decoded and painted is measured, twice side by side: the
baseline (the browser cache disabled and the answer posted as an ordinary form, so each
item is a full page load whose panels are fetched after it) and as served (the answer
posted in the background, the next item swapped in place, its panels prefetched while
the previous item was read). It prints p50/p95 of the whole step, measured in the page
from Enter to painted, and of its parts (server: answer posted to next item received;
browser: received to painted), with the wall-clock time seen by the driver.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from benchmarks.load import PASSWORD, recreate_database, serve, setup_study

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
GOAL_P95_MS = 150.0
PAINTED = "() => document.documentElement.dataset.painted === 'true'"
# In the page: Enter -> painted and its parts, from the in-place swap's timestamps
# (window.ecgTiming) or, after a full page load, from the navigation's timing (its origin
# is the form's submission).
PARTS = """() => {
    const painted = Number(document.documentElement.dataset.paintedAt);
    const swap = window.ecgTiming;
    if (swap && swap.received) {
        return {total: painted - swap.sent, server: swap.received - swap.sent,
                browser: painted - swap.received};
    }
    const n = performance.getEntriesByType('navigation')[0];
    return {total: painted, server: n.responseEnd, browser: painted - n.responseEnd};
}"""
# The baseline posts answers the ordinary way: item.js falls back to a native submission
# when its background request fails.
NO_BACKGROUND_POST = "window.fetch = () => Promise.reject(new Error('baseline'));"


def main() -> None:
    """Set up, serve, read the study in both modes and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=14, help="items answered per reader")
    parser.add_argument("--rounds", type=int, default=3, help="readers per mode, alternating")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/ecg_turing_load_next"
    )
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": args.database, "DEBUG": "0", "CELERY_BROKER_URL": ""}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    recreate_database(args.database)
    warmup, *readers = setup_study(env, 1 + 2 * args.rounds)
    server = serve(env, args.port, workers=2, threads=4)
    base = f"http://127.0.0.1:{args.port}"
    from playwright.sync_api import sync_playwright

    cold: dict[str, list[float]] = {part: [] for part in LABELS}
    warm: dict[str, list[float]] = {part: [] for part in LABELS}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            read(browser, base, warmup, 4, baseline=False)  # the server's first requests
            for baseline_reader, served_reader in zip(readers[0::2], readers[1::2], strict=True):
                for part, values in read(
                    browser, base, baseline_reader, args.items, baseline=True
                ).items():
                    cold[part].extend(values)
                for part, values in read(
                    browser, base, served_reader, args.items, baseline=False
                ).items():
                    warm[part].extend(values)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"Enter -> next item painted, 1440x900, {len(warm['total'])} items per mode "
        f"({args.rounds} readers each, alternating; after a warm-up reader) (ms)"
    )
    print(f"{'':>22} | {'baseline p50 / p95':>20} | {'as served p50 / p95':>20} | p95 ratio")
    for part in LABELS:
        one, two = _quantiles(cold[part]), _quantiles(warm[part])
        ratio = one[1] / two[1] if two[1] else float("nan")
        print(f"{LABELS[part]:>22} | {one[0]:8.0f} / {one[1]:8.0f} | {two[0]:8.0f} / {two[1]:8.0f}"
              f" | {ratio:5.1f}x")  # fmt: skip
    p95 = _quantiles(warm["total"])[1]
    verdict = "met" if p95 < GOAL_P95_MS else "NOT met"
    print(f"goal p95 < {GOAL_P95_MS:.0f} ms as served: {verdict} ({p95:.0f} ms)")


LABELS = {
    "total": "Enter -> painted",
    "server": "server (POST -> page)",
    "browser": "page -> painted",
    "driver": "seen by the driver",
}


def read(browser, base: str, reader: tuple[str, str], items: int, *, baseline: bool) -> dict:
    """Log in, consent, and answer up to ``items`` items; the timings of each step."""
    token, username = reader
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    if baseline:
        session = context.new_cdp_session(page)
        session.send("Network.enable")
        session.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.add_init_script(NO_BACKGROUND_POST)
    page.goto(f"{base}/accounts/login/?next=/r/{token}/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-submit, input[type=submit]")
    page.check("#id_consent")
    page.select_option("#id_specialty", "cardiology")
    page.fill("#id_years_experience", "5")
    page.fill("#id_ecgs_per_week", "20")
    with page.expect_navigation():
        page.click("#consent-submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_function(PAINTED)
    timings: dict[str, list[float]] = {part: [] for part in LABELS}
    for _ in range(items):
        page.keyboard.press("A")
        page.keyboard.press("3")
        before = page.url
        start = time.perf_counter()
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url, before=before: url != before)
        if "/item/" not in page.url:
            break  # the study is done
        page.wait_for_function(PAINTED)
        timings["driver"].append((time.perf_counter() - start) * 1000)
        for part, value in page.evaluate(PARTS).items():
            timings[part].append(value)
    context.close()
    return timings


def _quantiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    return statistics.median(values), statistics.quantiles(values, n=20)[-1]


if __name__ == "__main__":
    main()
