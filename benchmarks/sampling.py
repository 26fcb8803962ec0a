"""Benchmark SSSD-ECG sampling speed at the paper configuration, with and without S4 kernel
caching. Only a few denoising steps are timed per setting and extrapolated to a full run.

    python benchmarks/sampling.py [--device cpu] [--batch-sizes 1,4,16] [--steps 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.core.config import GeneratorConfig  # noqa: E402
from generator.core.network import SSSDECG  # noqa: E402


def time_steps(model: SSSDECG, batch: int, steps: int, cached: bool, device: torch.device) -> float:
    """Seconds per denoising step (network evaluation) for one batch, after one warm-up."""
    config = model.config
    x = torch.randn(batch, config.channels, config.signal_length, device=device)
    labels = torch.zeros(batch, len(config.label_vocabulary), device=device)
    labels[:, 0] = 1
    with torch.no_grad(), model.cache_kernels() if cached else nullcontext():
        model(x, labels, torch.full((batch,), 199, device=device))  # warm-up
        _sync(device)
        started = time.perf_counter()
        for t in range(steps):
            x = model(x, labels, torch.full((batch,), 198 - t, device=device))
        _sync(device)
    return (time.perf_counter() - started) / steps


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-sizes", default=None, help="comma separated")
    parser.add_argument("--steps", type=int, default=3, help="timed denoising steps")
    args = parser.parse_args()
    device = torch.device(args.device)
    default_batches = "1,4,16" if device.type == "cpu" else "1,16,64"
    batches = [int(b) for b in (args.batch_sizes or default_batches).split(",")]
    config = GeneratorConfig.paper()
    torch.manual_seed(0)
    model = SSSDECG(config.model).to(device).eval()
    total = config.diffusion.T
    print(
        f"SSSD-ECG paper configuration on {device} (torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads); {args.steps} timed steps per setting, "
        f"extrapolated to {total} DDPM steps"
    )
    header = (
        f"{'batch':>5} | {'s/step uncached':>15} | {'s/step cached':>13} | "
        f"{'ECG/s uncached':>14} | {'ECG/s cached':>12} | {'speed-up':>8}"
    )
    print(header)
    print("-" * len(header))
    for batch in batches:
        plain = time_steps(model, batch, args.steps, False, device)
        cached = time_steps(model, batch, args.steps, True, device)
        print(
            f"{batch:>5} | {plain:>15.4f} | {cached:>13.4f} | "
            f"{batch / (plain * total):>14.5f} | {batch / (cached * total):>12.5f} | "
            f"{plain / cached:>7.2f}x"
        )


if __name__ == "__main__":
    main()
