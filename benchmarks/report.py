"""Benchmark: full assessment report (summary, CSV, JSON, HTML) for a simulated 50 x 400 study,
beside the same benchmark run on a baseline commit.

Run: python -m benchmarks.report [--readers 50] [--items 400] [--baseline REF] [--out DIR]

The baseline (default: the commit before the OR-Hillis analysis, whose summary ran a two-way
bootstrap in every subset) is checked out into a temporary git worktree and its own
``benchmarks/report.py`` runs there in a subprocess; ``--baseline none`` skips it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assessment.reports.csv_report import write_judgments_csv
from assessment.reports.html_report import write_html_report
from assessment.reports.json_report import write_summary_json
from assessment.stats.simulate import simulate_study
from assessment.stats.summary import study_summary

BASELINE_COMMIT = "0299b30"
REPOSITORY = Path(__file__).resolve().parent.parent


def main() -> None:
    """Time each stage of the report once, print the timings and the baseline's total."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--items", type=int, default=400, help="judgments per reader")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mixed-model", action="store_true", help="also fit the mixed model")
    parser.add_argument("--baseline", default=BASELINE_COMMIT, help="git ref, or 'none'")
    parser.add_argument("--out", type=Path, default=None, help="folder for the report files")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="assessment-report-"))
    out.mkdir(parents=True, exist_ok=True)

    timings: list[tuple[str, float]] = []

    def timed(label, function, *arguments, **keywords):
        start = time.perf_counter()
        result = function(*arguments, **keywords)
        timings.append((label, time.perf_counter() - start))
        return result

    judgments = timed(
        "simulate study",
        simulate_study,
        n_readers=args.readers,
        items_per_reader=args.items,
        seed=args.seed,
    )
    summary = timed("study_summary", study_summary, judgments, mixed_model=args.mixed_model)
    csv_path = timed("CSV", write_judgments_csv, judgments, out / "judgments.csv")
    json_path = timed("JSON", write_summary_json, summary, out / "summary.json")
    html_path = timed("HTML", write_html_report, summary, judgments, out / "report.html")

    print(
        f"judgments: {len(judgments)} ({args.readers} readers x {args.items} items, "
        f"designs {summary['meta']['designs']}, rounds {summary['meta']['rounds']})"
    )
    for label, seconds in timings:
        print(f"{label:>16}: {seconds:7.2f} s")
    report_seconds = sum(seconds for label, seconds in timings if label != "simulate study")
    print(f"{'report total':>16}: {report_seconds:7.2f} s")
    if args.baseline != "none":
        baseline = baseline_total(args.baseline, args.readers, args.items)
        if baseline is None:
            print(f"baseline {args.baseline}: not available (needs the git history)")
        else:
            print(
                f"{'baseline total':>16}: {baseline:7.2f} s (commit {args.baseline}); "
                f"this run is {baseline / report_seconds:.1f}x faster"
            )
    for path in (csv_path, json_path, html_path):
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")


def baseline_total(ref: str, readers: int, items: int) -> float | None:
    """'report total' seconds of the benchmark at git ``ref``, or None without git history."""
    with tempfile.TemporaryDirectory(prefix="report-baseline-") as folder:
        tree = Path(folder) / "tree"
        added = subprocess.run(
            ["git", "-C", str(REPOSITORY), "worktree", "add", "--detach", str(tree), ref],
            capture_output=True,
            text=True,
        )
        if added.returncode != 0:
            return None
        try:
            run = subprocess.run(
                [sys.executable, "-m", "benchmarks.report", "--readers", str(readers),
                 "--items", str(items)],
                cwd=tree, capture_output=True, text=True, check=True,
            )  # fmt: skip
        finally:
            subprocess.run(
                ["git", "-C", str(REPOSITORY), "worktree", "remove", "--force", str(tree)],
                capture_output=True,
            )
    match = re.search(r"report total:\s+([0-9.]+) s", run.stdout)
    return float(match.group(1)) if match else None


if __name__ == "__main__":
    main()
