"""Benchmark: full assessment report (summary, CSV, JSON, HTML) for a simulated 50 x 400 study.

Run: python -m benchmarks.report [--readers 50] [--items 400] [--n-boot 2000] [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from assessment.reports.csv_report import write_judgments_csv
from assessment.reports.html_report import write_html_report
from assessment.reports.json_report import write_summary_json
from assessment.stats.simulate import simulate_study
from assessment.stats.summary import study_summary


def main() -> None:
    """Time each stage of the report once and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--items", type=int, default=400, help="judgments per reader")
    parser.add_argument("--n-boot", type=int, default=2000, help="bootstrap replicates")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mixed-model", action="store_true", help="also fit the mixed model")
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
    summary = timed(
        "study_summary",
        study_summary,
        judgments,
        seed=args.seed,
        n_boot=args.n_boot,
        mixed_model=args.mixed_model,
    )
    csv_path = timed("CSV", write_judgments_csv, judgments, out / "judgments.csv")
    json_path = timed("JSON", write_summary_json, summary, out / "summary.json")
    html_path = timed("HTML", write_html_report, summary, judgments, out / "report.html")

    print(
        f"judgments: {len(judgments)} ({args.readers} readers x {args.items} items, "
        f"designs {summary['meta']['designs']}, rounds {summary['meta']['rounds']})"
    )
    print(f"bootstrap replicates B = {args.n_boot}, mixed model: {args.mixed_model}")
    for label, seconds in timings:
        print(f"{label:>16}: {seconds:7.2f} s")
    report_seconds = sum(seconds for label, seconds in timings if label != "simulate study")
    print(f"{'report total':>16}: {report_seconds:7.2f} s")
    for path in (csv_path, json_path, html_path):
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
