"""Benchmark one SSSD-ECG denoising step at the paper configuration against the matmul bound.

For each batch size a fresh process loads a paper-size checkpoint (random weights, written
once to a temporary folder) and times a few denoising steps two ways, side by side:

- baseline: the network called on the whole batch with the weight norm recomputed every
  call (the sampler before micro-batching and weight caching; S4 kernels cached in both);
- sampler: the network as ``generator.core.sampling.generate`` calls it; one more call is
  timed per convolution and linear layer, splitting it into matrix products and the rest;
- compiled: the same after ``compile_for_sampling`` (``sample_pool --compile``); its
  one-off compile time is printed apart.

The matmul bound of a step is the FLOPs of its convolutions and linear layers, counted by
``torch.utils.flop_counter``, divided by the float32 GEMM rate. The rate is probed around
every timed call (2048^3 products, the median of three just before the call and of three
just after; the faster is used, which makes the bound the stricter), and each call's time
is set against its own probe: on a shared host whose speed drifts (2048^3 products from 63
to 130 GFLOP/s within minutes on one cloud VM), a call and its probe see the same host. A
row's ratio is the median of its calls' ratios. FFTs and elementwise work are not counted.

The 2048^3 product is not always the fastest the machine multiplies at: on an AMD EPYC with
AVX-512, MKL's GEMM (what ``a @ b`` runs) reached 187-191 GFLOP/s while oneDNN's
convolutions ran the network's own products at 360-425. The strict ratio therefore sets
each call against the faster of its probe and the fastest rate the products reached in this
row (counted FLOPs over the time inside convolutions and linear layers, eager timed per
module, compiled by torch's profiler on CPU), so that a slow probe does not flatter it; it
is the one that tells how close to the bound a step is.

    python -m benchmarks.sampling [--device cpu] [--batch-sizes 1,8,32] [--steps 2]
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.utils.flop_counter import FlopCounterMode

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from generator.core.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from generator.core.config import GeneratorConfig  # noqa: E402
from generator.core.network import SSSDECG  # noqa: E402
from generator.core.pointwise import fastest_pointwise_convolutions  # noqa: E402
from generator.core.sampling import (  # noqa: E402
    compile_for_sampling,
    micro_batch_size,
    micro_batched,
)

GEMM_SIZE = 2048


def gemm_rate(device: torch.device, repeats: int = 5) -> float:
    """Sustained float32 GEMM rate in FLOP/s (median of ``repeats`` 2048^3 products)."""
    a, b = _gemm_operands(device)
    return 2 * GEMM_SIZE**3 / statistics.median(call_times(lambda: a @ b, device, repeats))


@functools.lru_cache(maxsize=1)
def _gemm_operands(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The probe's two 2048^2 matrices, drawn once per process (probed around every call)."""
    return (
        torch.randn(GEMM_SIZE, GEMM_SIZE, device=device),
        torch.randn(GEMM_SIZE, GEMM_SIZE, device=device),
    )


def call_times(action: Callable[[], object], device: torch.device, repeats: int) -> list[float]:
    """Wall time of each of ``repeats`` calls, after one warm-up call."""
    action()
    return [_timed(action, device) for _ in range(repeats)]


def probed_call_times(
    action: Callable[[], object], device: torch.device, repeats: int
) -> list[tuple[float, float]]:
    """(wall time, GEMM FLOP/s probed around it) of each of ``repeats`` calls, after one
    warm-up call; the probe is the faster of three products before and three after."""
    action()
    timed = []
    for _ in range(repeats):
        before = gemm_rate(device, repeats=3)
        seconds = _timed(action, device)
        timed.append((seconds, max(before, gemm_rate(device, repeats=3))))
    return timed


def _timed(action: Callable[[], object], device: torch.device) -> float:
    _sync(device)
    started = time.perf_counter()
    action()
    _sync(device)
    return time.perf_counter() - started


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step_inputs(model: SSSDECG, batch: int, device: torch.device):
    """Noisy signals, one-hot labels and diffusion steps for one denoising step."""
    config = model.config
    x = torch.randn(batch, config.channels, config.signal_length, device=device)
    labels = torch.zeros(batch, len(config.label_vocabulary), device=device)
    labels[:, 0] = 1
    return x, labels, torch.full((batch,), 100, device=device)


def counted_flops(model: SSSDECG, device: torch.device) -> int:
    """FLOPs of one sample's denoising step in convolutions and linear layers.

    Call with the kernels cached: otherwise building them is counted too.
    """
    inputs = step_inputs(model, 1, device)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(*inputs)
    return counter.get_total_flops()


def seconds_in_products(
    model: SSSDECG, action: Callable[[], object], device: torch.device
) -> float:
    """Wall time one ``action()`` spends inside the network's convolutions and linear layers
    (the matrix products the bound counts), timed around each of those modules' calls."""
    spent = [0.0]
    started: list[float] = []

    def before(module: nn.Module, args: object) -> None:
        _sync(device)
        started.append(time.perf_counter())

    def after(module: nn.Module, args: object, output: object) -> None:
        _sync(device)
        spent[0] += time.perf_counter() - started.pop()

    products = [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Linear))]
    handles = [h for m in products for h in (m.register_forward_pre_hook(before),
                                             m.register_forward_hook(after))]  # fmt: skip
    try:
        action()
    finally:
        for handle in handles:
            handle.remove()
    return spent[0]


# The aten operators the convolutions and linear layers run, in eager or compiled graphs.
PRODUCT_OPERATORS = frozenset(
    {"aten::mkldnn_convolution", "aten::convolution", "aten::bmm", "aten::baddbmm",
     "aten::addmm", "aten::mm"}
)  # fmt: skip


def profiled_seconds_in_products(action: Callable[[], object]) -> float:
    """Wall time one CPU ``action()`` spends in matrix-product operators, by torch's profiler,
    which (unlike module hooks) sees inside compiled graphs; an operator called inside
    another (a convolution's own oneDNN call) is counted once."""
    with torch.profiler.profile() as profile:
        action()
    return (
        sum(
            event.cpu_time_total
            for event in profile.events()
            if event.name in PRODUCT_OPERATORS and not _inside_product(event.cpu_parent)
        )
        / 1e6
    )


def _inside_product(event: object) -> bool:
    """Whether the profiler event or one of its callers is a product operator."""
    while event is not None:
        if event.name in PRODUCT_OPERATORS:
            return True
        event = event.cpu_parent
    return False


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory of this process so far: GPU memory allocated on CUDA, else peak RSS."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(checkpoint: Path, batch: int, steps: int, device: torch.device) -> dict:
    """Time the three ways of calling the network at one batch size (in its own process).

    Small batches are timed over more calls (``steps`` x 8 / batch), so that every row
    averages about as many network evaluations.
    """
    repeats = max(steps, -(-8 * steps // batch))
    model = load_checkpoint(checkpoint, device).model.eval()
    started = time.perf_counter()
    spectra = model.kernel_cache_state()
    _sync(device)
    kernel_build_s = time.perf_counter() - started
    inputs = step_inputs(model, batch, device)
    length = model.config.signal_length
    denoise = micro_batched(model, micro_batch_size(model.config, device, batch))
    with torch.no_grad(), model.use_kernel_cache(spectra):
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        with parametrize.cached(), fastest_pointwise_convolutions(model, length):
            sampler = probed_call_times(lambda: denoise(*inputs), device, repeats)
            products_s = seconds_in_products(model, lambda: denoise(*inputs), device)
        sampler_peak = peak_memory_mb(device)
        baseline_s = statistics.median(call_times(lambda: model(*inputs), device, repeats))
        baseline_peak = peak_memory_mb(device)
        flops_per_ecg = counted_flops(model, device)
        started = time.perf_counter()
        compile_for_sampling(model)
        with fastest_pointwise_convolutions(model, length):
            denoise(*inputs)  # compiles
            _sync(device)
            compile_s = time.perf_counter() - started
            compiled = probed_call_times(lambda: denoise(*inputs), device, repeats)
            compiled_products_s = (
                profiled_seconds_in_products(lambda: denoise(*inputs))
                if device.type == "cpu"
                else None
            )
    return {
        "batch": batch,
        "micro_batch": micro_batch_size(model.config, device, batch),
        "sampler": sampler,
        "products_s": products_s,
        "compiled_products_s": compiled_products_s,
        "baseline_s": baseline_s,
        "compiled": compiled,
        "compile_s": compile_s,
        "sampler_peak_mb": sampler_peak,
        "baseline_peak_mb": max(sampler_peak, baseline_peak),
        "flops_per_ecg": flops_per_ecg,
        "kernel_build_s": kernel_build_s,
    }


def ratio_to_bound(
    timed: list[tuple[float, float]], flops_per_call: float, rate_floor: float = 0.0
) -> float:
    """Median over calls of the call's time over its bound: FLOPs over its probed GEMM rate
    or ``rate_floor``, whichever is faster."""
    return statistics.median(
        seconds * max(rate, rate_floor) / flops_per_call for seconds, rate in timed
    )


def run_in_child(checkpoint: Path, batch: int, steps: int, device: str) -> dict:
    """:func:`measure` in a fresh process, so that its peak memory is this batch's own."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.sampling",
        "--measure",
        str(checkpoint),
        "--device",
        device,
        "--batch-sizes",
        str(batch),
        "--steps",
        str(steps),
    ]
    result = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def print_table(rows: list[dict], device: str) -> None:
    """One line per batch size: timings, FLOPs, GEMM probe, bound, ratios, memory."""
    print(
        f"SSSD-ECG paper configuration on {device} (torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads); kernel cache built in "
        f"{rows[0]['kernel_build_s']:.1f} s, network compiled in "
        f"{rows[0]['compile_s']:.1f} s per process"
    )
    header = (
        f"{'batch':>5} {'micro':>5} | {'base s/step':>11} {'s/step':>7} {'s/ECG':>6} "
        f"{'ratio':>5} {'strict':>6} {'products':>8} {'GFLOP/s':>7} {'rest':>6} | "
        f"{'compiled s/step':>15} {'s/ECG':>6} {'ratio':>5} {'strict':>6} {'products':>8} "
        f"{'GFLOP/s':>7} | {'GFLOP/ECG':>9} {'GEMM GFLOP/s':>12} {'bound s/ECG':>11} | "
        f"{'base MB':>7} {'peak MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        batch, flops = row["batch"], row["flops_per_ecg"] * row["batch"]
        eager = statistics.median(seconds for seconds, _ in row["sampler"]) / batch
        compiled = statistics.median(seconds for seconds, _ in row["compiled"]) / batch
        rate = statistics.median(rate for _, rate in row["sampler"] + row["compiled"])
        products = row["products_s"] / batch
        rates = [row["flops_per_ecg"] / products]
        compiled_products = "-"
        if row["compiled_products_s"] is not None:
            rates.append(row["flops_per_ecg"] * batch / row["compiled_products_s"])
            compiled_products = f"{row['compiled_products_s'] / batch:.3f}"
        fastest = max(rates)  # the products' own rate: the faster of eager and compiled
        compiled_rate = f"{rates[1] / 1e9:.0f}" if len(rates) > 1 else "-"
        print(
            f"{batch:>5} {row['micro_batch']:>5} | {row['baseline_s']:>11.3f} "
            f"{eager * batch:>7.3f} {eager:>6.3f} {ratio_to_bound(row['sampler'], flops):>5.2f} "
            f"{ratio_to_bound(row['sampler'], flops, fastest):>6.2f} "
            f"{products:>8.3f} {rates[0] / 1e9:>7.0f} {eager - products:>6.3f} | "
            f"{compiled * batch:>15.3f} {compiled:>6.3f} "
            f"{ratio_to_bound(row['compiled'], flops):>5.2f} "
            f"{ratio_to_bound(row['compiled'], flops, fastest):>6.2f} "
            f"{compiled_products:>8} {compiled_rate:>7} | "
            f"{row['flops_per_ecg'] / 1e9:>9.2f} {rate / 1e9:>12.1f} "
            f"{row['flops_per_ecg'] / rate:>11.3f} | {row['baseline_peak_mb']:>7.0f} "
            f"{row['sampler_peak_mb']:>7.0f}"
        )
    print(
        "ratio: median over calls of seconds per ECG-step over the bound (counted FLOPs / "
        "the 2048^3 GEMM rate probed around the call; GEMM and bound columns: medians); "
        "strict: the same with the faster of that rate and the products' own (the faster of "
        "eager and compiled); products: s/ECG inside convolutions and linear layers in one "
        "more call (eager: timed per module; compiled, CPU only: torch's profiler) and the "
        "GFLOP/s they reached; rest: FFTs, elementwise work and the rest of s/ECG"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-sizes", default=None, help="comma separated (1,8,32)")
    parser.add_argument("--steps", type=int, default=2, help="timed denoising steps")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child's mode
    args = parser.parse_args()
    device = torch.device(args.device)
    batches = [int(b) for b in (args.batch_sizes or "1,8,32").split(",")]
    if args.measure:
        print(json.dumps(measure(args.measure, batches[0], args.steps, device)))
        return
    with tempfile.TemporaryDirectory(prefix="sampling-benchmark-") as folder:
        config = GeneratorConfig.paper()
        torch.manual_seed(0)
        checkpoint = Path(folder) / "paper.pt"
        save_checkpoint(checkpoint, SSSDECG(config.model), config)
        rows = [run_in_child(checkpoint, b, args.steps, args.device) for b in batches]
    print_table(rows, args.device)


if __name__ == "__main__":
    main()
