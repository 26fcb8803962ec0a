"""Benchmark the privacy screen's exact nearest-record search: 1,000 synthetic against
17,000 training ECGs at 100 Hz, 10 s, ±40 ms shift tolerance, against a baseline that
compares pair by pair (numpy, one shifted dot product per lag), timed on a subsample and
extrapolated. The signals are random-walk-like 12-lead traces (no data needed).

The training set is searched as the screen reads it, in blocks (``--block-size``), and is
generated block by block, so it is never whole in memory; the peak memory printed (the
growth of the process's peak resident set during the search, ``ru_maxrss``) is that of the
search with one block, to set against the size of the whole training set.

    python benchmarks/privacy.py [--synthetic 1000] [--training 17000] [--block-size 1024]
                                 [--device cpu]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.core.dcr import RecordBlocks, nearest_records  # noqa: E402

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


def generated_training(n: int, block_size: int) -> RecordBlocks:
    """``n`` training ECGs made a block at a time (block b from seed (2, b)), never whole."""

    def block(b: int) -> np.ndarray:
        return random_walks(min(block_size, n - b * block_size), seed=2 * 1_000_003 + b)

    def take(indices: np.ndarray) -> np.ndarray:
        """The named rows; one block is made at a time and only its named rows are kept."""
        indices = np.asarray(indices)
        rows = np.empty((len(indices), 12, 1000), np.float32)
        for b in np.unique(indices // block_size):
            wanted = np.flatnonzero(indices // block_size == b)
            rows[wanted] = block(b)[indices[wanted] % block_size]
        return rows

    return RecordBlocks(n, lambda: (block(b) for b in range(-(-n // block_size))), take)


def rss_mib() -> float:
    """The process's resident set now (Linux /proc), in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mib() -> float:
    """The process's peak resident set so far (ru_maxrss is in KiB on Linux), in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=1000)
    parser.add_argument("--training", type=int, default=17000)
    parser.add_argument("--block-size", type=int, default=1024)
    parser.add_argument("--baseline-pairs", type=int, default=2000)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    synthetic = random_walks(args.synthetic, seed=1)
    training = generated_training(args.training, args.block_size)
    pairs = args.synthetic * args.training

    started = time.perf_counter()
    first_rows = training.take(np.arange(min(args.training, args.block_size)))
    for k in range(args.baseline_pairs):
        naive_pair(
            synthetic[k % args.synthetic], first_rows[(k // args.synthetic) % len(first_rows)]
        )
    per_pair = (time.perf_counter() - started) / args.baseline_pairs
    del first_rows

    rss_before = rss_mib()
    started = time.perf_counter()
    found = nearest_records(synthetic, training, MAX_SHIFT, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    vectorised = time.perf_counter() - started
    peak_growth = peak_rss_mib() - rss_before

    rows = training.take(found.index[:5])
    check = [naive_pair(synthetic[i], rows[i]) for i in range(5)]
    assert np.allclose(check, found.distance[:5], atol=1e-6), "search and baseline disagree"
    print(f"{args.synthetic} synthetic x {args.training} training ECGs at {FS:g} Hz, "
          f"±{1000 * MAX_SHIFT / FS:g} ms, {pairs:,} pairs, device {device}, "
          f"{torch.get_num_threads()} threads, blocks of {args.block_size} ECGs")  # fmt: skip
    print(f"{'method':<40}{'seconds':>12}{'pairs/s':>16}")
    baseline = per_pair * pairs
    print(f"{'baseline: pair by pair (extrapolated)':<40}{baseline:>12.1f}{1 / per_pair:>16,.0f}")
    print(f"{'exact search in blocks':<40}{vectorised:>12.1f}{pairs / vectorised:>16,.0f}")
    print(f"speed-up: {baseline / vectorised:.0f}x")
    whole = args.training * synthetic[0].nbytes / 2**20
    print(f"peak memory of the search: +{peak_growth:.0f} MiB resident over {rss_before:.0f} MiB "
          f"(ru_maxrss); the whole training set as float32 would be {whole:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
