"""Benchmark the privacy screen's exact nearest-record search: 1,000 synthetic against
17,000 training ECGs at 100 Hz, 10 s, ±40 ms shift tolerance, against a baseline that
compares pair by pair (numpy, one shifted dot product per lag), timed on a subsample and
extrapolated. The signals are random-walk-like 12-lead traces (no data needed).

    python benchmarks/privacy.py [--synthetic 1000] [--training 17000] [--device cpu]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.core.dcr import nearest_records  # noqa: E402

FS = 100.0
MAX_SHIFT = 4  # ±40 ms at 100 Hz


def random_walks(n: int, seed: int, samples: int = 1000) -> np.ndarray:
    """(n, 12, samples) float32: smoothed random walks, about 0.2 mV in amplitude."""
    steps = np.random.default_rng(seed).normal(0, 0.01, (n, 12, samples)).astype(np.float32)
    walks = np.cumsum(steps, axis=2)
    return walks - walks.mean(axis=2, keepdims=True)


def naive_pair(query: np.ndarray, record: np.ndarray) -> float:
    """The baseline: one pair's distance, lag by lag."""
    q = query - query.mean(axis=1, keepdims=True)
    r = record - record.mean(axis=1, keepdims=True)
    length = q.shape[1] - 2 * MAX_SHIFT
    a = q[:, MAX_SHIFT : MAX_SHIFT + length].ravel()
    best = max(
        float(a @ r[:, MAX_SHIFT + s : MAX_SHIFT + s + length].ravel())
        / np.linalg.norm(a)
        / np.linalg.norm(r[:, MAX_SHIFT + s : MAX_SHIFT + s + length])
        for s in range(-MAX_SHIFT, MAX_SHIFT + 1)
    )
    return float(np.sqrt(max(0.0, 2 - 2 * best)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=1000)
    parser.add_argument("--training", type=int, default=17000)
    parser.add_argument("--baseline-pairs", type=int, default=2000)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    synthetic = random_walks(args.synthetic, seed=1)
    training = random_walks(args.training, seed=2)
    pairs = args.synthetic * args.training

    started = time.perf_counter()
    for k in range(args.baseline_pairs):
        naive_pair(synthetic[k % args.synthetic], training[k // args.synthetic])
    per_pair = (time.perf_counter() - started) / args.baseline_pairs

    started = time.perf_counter()
    found = nearest_records(synthetic, training, MAX_SHIFT, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    vectorised = time.perf_counter() - started

    check = [naive_pair(synthetic[i], training[found.index[i]]) for i in range(5)]
    assert np.allclose(check, found.distance[:5], atol=1e-6), "search and baseline disagree"
    print(f"{args.synthetic} synthetic x {args.training} training ECGs at {FS:g} Hz, "
          f"±{1000 * MAX_SHIFT / FS:g} ms, {pairs:,} pairs, device {device}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"{'method':<40}{'seconds':>12}{'pairs/s':>16}")
    baseline = per_pair * pairs
    print(f"{'baseline: pair by pair (extrapolated)':<40}{baseline:>12.1f}{1 / per_pair:>16,.0f}")
    print(f"{'exact batched search':<40}{vectorised:>12.1f}{pairs / vectorised:>16,.0f}")
    print(f"speed-up: {baseline / vectorised:.0f}x")


if __name__ == "__main__":
    main()
