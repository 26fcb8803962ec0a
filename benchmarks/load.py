"""Benchmark: N simulated readers answering one study through gunicorn on PostgreSQL.

Run: python -m benchmarks.load [--readers 50] [--think-s 10] [--workers 2] [--port 8765]
     [--database postgres://postgres@127.0.0.1:5432/ecg_turing_load]

Loopback only and bounded: the benchmark creates (and drops first) its own database, sets up
the offline demo store there, seeds an open paired study for the readers, starts gunicorn
on 127.0.0.1 and lets every reader log in, consent and answer every item (item page, both
panels, answer POST). Readers arrive at random within the first ``--think-s`` seconds and
look at each case for 0.5-1.5 x ``--think-s`` (real readers take about 18 s; 0 turns them
into a closed-loop stress test). It prints p50/p95 per request kind for one reader alone
(the baseline) and for all readers at once, side by side, and judgments acknowledged vs
stored.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-pass"
PANEL = re.compile(r"/panel/[A-Za-z0-9_-]+\.svg")
KINDS = ("item page", "panel", "answer POST")
CONSENT = {"consent": "on", "specialty": "cardiology", "years_experience": "5",
           "ecgs_per_week": "20"}  # fmt: skip


def main() -> None:
    """Set up, serve, run the baseline and the full load, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--think-s", type=float, default=10.0, help="seconds per case")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/ecg_turing_load")
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": args.database, "DEBUG": "0", "CELERY_BROKER_URL": ""}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    recreate_database(args.database)
    readers = setup_study(env, args.readers + 1)
    server = serve(env, args.port, args.workers, args.threads)
    base = f"http://127.0.0.1:{args.port}"
    try:
        baseline = run_readers(base, readers[:1], args.think_s)
        loaded = run_readers(base, readers[1:], args.think_s)
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = stored_judgments(env)
    print(f"study: {len(readers)} readers enrolled, gunicorn {args.workers}x{args.threads}, "
          f"{args.think_s:g} s per case")  # fmt: skip
    print(f"{'request':>12} | {'1 reader p50/p95 (ms)':>22} | "
          f"{f'{args.readers} readers p50/p95 (ms)':>24} | p95 ratio")  # fmt: skip
    for kind in KINDS:
        one, many = _quantiles(baseline.times[kind]), _quantiles(loaded.times[kind])
        ratio = many[1] / one[1] if one[1] else float("nan")
        print(f"{kind:>12} | {one[0]:9.1f} / {one[1]:9.1f}  | {many[0]:10.1f} / {many[1]:10.1f}  "
              f"| {ratio:5.1f}x")  # fmt: skip
    acknowledged = baseline.acknowledged + loaded.acknowledged
    print(f"judgments acknowledged {acknowledged}, stored {stored['total']}, "
          f"duplicates {stored['duplicates']}, lost {acknowledged - stored['total']}, "
          f"errors (5xx or refused) {baseline.errors + loaded.errors}")  # fmt: skip
    print(f"wall time with {args.readers} readers: {loaded.seconds:.1f} s")


def recreate_database(url: str) -> None:
    """Drop and create the benchmark's own database (never the one tests or users use)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("ecg_turing_load"):
        raise SystemExit(f"refusing to recreate {name!r}: the name must start ecg_turing_load")
    admin = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


SETUP = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from assessment.models import Enrolment, Study
from assessment.services import EcgPool, study_open, study_seed
from generator.models import ECG
call_command("demo", "--no-serve", "--offline", verbosity=0)
demo = Study.objects.get(name="demo-paired")
pool = demo.seeding["pool"]
users = get_user_model().objects
names = [f"load-{i:03d}" for i in range(int(sys.argv[1]))]
for name in names:
    users.create_user(name, password=PASSWORD)
study = study_seed(
    name="load", design="paired", n=demo.cases.filter(kind="main").count(),
    pool=EcgPool(real_origins=pool["real_origins"], synthetic_origins=pool["synthetic_origins"]),
    readers=names, settings={"allow_shared_ecgs": True, "ask_confidence": True}, seed=1,
    practice=0,
)
study_open(study=study, override_reason="load benchmark", opened_by="benchmark")
enrolments = Enrolment.objects.filter(study=study).select_related("reader")
print(json.dumps([[e.token, e.reader.username] for e in enrolments.order_by("reader_index")]))
"""


def setup_study(env: dict, n_readers: int) -> list[tuple[str, str]]:
    """Migrate, load the offline demo store and seed an open study; (enrolment token,
    username) of every reader."""
    code = SETUP.replace("PASSWORD", repr(PASSWORD))
    done = subprocess.run(
        [sys.executable, "-c", code, str(n_readers)],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [tuple(pair) for pair in json.loads(done.stdout.strip().splitlines()[-1])]


def serve(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:``port``, waited for until it answers."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=10)
            return server
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not start")


class Outcome:
    """Latencies per request kind, acknowledged answers and errors of a group of readers."""

    def __init__(self):
        self.times: dict[str, list[float]] = defaultdict(list)
        self.acknowledged = 0
        self.errors = 0
        self.seconds = 0.0


def run_readers(base: str, readers: list[tuple[str, str]], think_s: float) -> Outcome:
    """Every (enrolment token, username) of ``readers`` works through their list at once."""
    outcome = Outcome()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(readers)) as pool:
        results = list(pool.map(lambda reader: read_study(base, *reader, think_s), readers))
    outcome.seconds = time.perf_counter() - start
    for times, acknowledged, errors in results:
        for kind, values in times.items():
            outcome.times[kind].extend(values)
        outcome.acknowledged += acknowledged
        outcome.errors += errors
    return outcome


def read_study(base: str, token: str, username: str, think_s: float) -> tuple[dict, int, int]:
    """Log in as ``username``, open the enrolment ``token``, consent, read the instructions
    and answer every item; returns (latencies by kind, answers acknowledged, errors)."""
    session = requests.Session()
    times: dict[str, list[float]] = defaultdict(list)
    acknowledged = errors = 0
    rng = random.Random(token)
    time.sleep(think_s * rng.random())  # readers arrive over the first case's time
    _post(session, f"{base}/accounts/login/", {"username": username, "password": PASSWORD})
    url = f"{base}/r/{token}/"
    for _ in range(1000):
        started = time.perf_counter()
        page = session.get(url, timeout=60)
        path = urlsplit(page.url).path
        if path.endswith(("/consent/", "/instructions/")):
            form = CONSENT if path.endswith("/consent/") else {}
            page = _post(session, page.url, form)
            if urlsplit(page.url).path == path:  # refused: the page came back
                return times, acknowledged, errors + 1
        elif path.startswith("/item/"):
            times["item page"].append(_ms(started))
            for panel in sorted(set(PANEL.findall(page.text))):
                started = time.perf_counter()
                image = session.get(base + panel, timeout=60)
                times["panel"].append(_ms(started))
                errors += image.status_code != 200
            time.sleep(think_s * rng.uniform(0.5, 1.5))
            started = time.perf_counter()
            answer = _post(session, page.url, {
                "answer": "top", "confidence": "3", "client_token": str(uuid.uuid4()),
                "active_time_ms": "1500", "answer_changes": "0",
            }, follow=False)  # fmt: skip
            times["answer POST"].append(_ms(started))
            if answer.status_code != 302:  # the answer was not taken
                return times, acknowledged, errors + 1
            acknowledged += 1
            url = base + answer.headers["Location"]
            continue
        else:
            break
        url = page.url
    return times, acknowledged, errors


def _post(
    session: requests.Session, url: str, data: dict, *, follow: bool = True
) -> requests.Response:
    if "csrftoken" not in session.cookies:
        session.get(url, timeout=60)
    data = {**data, "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
    return session.post(
        url, data=data, headers={"Referer": url}, timeout=60, allow_redirects=follow
    )


def _ms(started: float) -> float:
    return 1000 * (time.perf_counter() - started)


def _quantiles(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    p50, p95 = np.percentile(values, [50, 95])
    return float(p50), float(p95)


def stored_judgments(env: dict) -> dict:
    """Judgments in the benchmark database, and how many assignments hold more than one."""
    parts = urlsplit(env["DATABASE_URL"])
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username,
        dbname=parts.path.lstrip("/"),
    )  # fmt: skip
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) - count(DISTINCT (j.assignment_id, j.round)) "
            "FROM assessment_judgment j JOIN assessment_assignment a ON a.id = j.assignment_id "
            "JOIN assessment_enrolment e ON e.id = a.enrolment_id "
            "JOIN assessment_study s ON s.id = e.study_id WHERE s.name = 'load'"
        )
        total, duplicates = cursor.fetchone()
    conn.close()
    return {"total": total, "duplicates": duplicates}


if __name__ == "__main__":
    main()
