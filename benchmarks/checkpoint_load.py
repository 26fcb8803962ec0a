"""Benchmark loading a paper-size SSSD-ECG checkpoint and its S4 kernel cache.

Writes a paper-configuration checkpoint (random weights) in a temporary folder in both
formats (native and the SSSD-ECG release's) and prints, side by side with a plain
``torch.load`` of the same file and their ratios to it:

- in a fresh Python process (what a ``sample_pool`` command or a worker's first job pays:
  torch imported, nothing loaded yet), median of ``--processes`` runs;
- in a warm process: the first ``load_checkpoint`` of the file (its SHA-256 computed beside
  the load) and later ones (the digest of an unchanged file is remembered);
- the baseline this replaced (build the model with its full initialisation, then copy);

then the S4 kernel spectra computed from the weights vs read from the disk cache. The loads
compared are timed in turn (one of each per round), so that a shared host's drifting speed
reaches them alike.

    python benchmarks/checkpoint_load.py [--repeats 5] [--processes 5] [--no-baseline]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.core.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from generator.core.config import GeneratorConfig  # noqa: E402
from generator.core.file_hash import SETTLED_SECONDS, forget_remembered_digests  # noqa: E402
from generator.core.kernel_cache import KernelCacheKey, kernel_spectra  # noqa: E402
from generator.core.network import SSSDECG  # noqa: E402
from generator.core.release_format import (  # noqa: E402
    config_from_release,
    is_release_checkpoint,
    native_to_release,
    release_to_native,
)


def seconds(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls."""
    return interleaved_seconds({"action": action}, repeats)["action"]


def interleaved_seconds(actions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each action over ``repeats`` rounds that call every action once,
    in turn, so that a shared host's drifting speed reaches all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeats):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def baseline_load(path: Path) -> SSSDECG:
    """The load before this benchmark's change: a fully initialised model, then a copy."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if is_release_checkpoint(payload):
        state = payload["model_state_dict"]
        config, state = config_from_release(state), release_to_native(state)
    else:
        config, state = GeneratorConfig.from_dict(payload["config"]), payload["model_state"]
    model = SSSDECG(config.model)
    model.load_state_dict(state)
    return model


def release_state(model: SSSDECG) -> dict[str, torch.Tensor]:
    """A state of the release's architecture (multi-hot labels, its leads) sharing ``model``'s
    tensors where the shapes agree; random elsewhere (building a second model takes long)."""
    config = GeneratorConfig.paper(label_variant="sssd", lead_set="sssd")
    with torch.device("meta"):  # shapes only, as load_checkpoint builds it
        skeleton = SSSDECG(config.model)
    shapes = {name: t.shape for name, t in skeleton.state_dict().items()}
    own = model.state_dict()
    return {
        name: own[name] if name in own and own[name].shape == shape else torch.randn(shape)
        for name, shape in shapes.items()
    }


def fresh_process_seconds(path: Path, processes: int) -> dict[str, float]:
    """Median wall time of one load, ``torch`` (a plain ``torch.load``) and ``checkpoint``
    (``load_checkpoint``), in a new Python process after its imports, over ``processes``
    processes of each, started in turn."""

    def load_seconds(how: str) -> float:
        child = [sys.executable, str(Path(__file__).resolve()), "--child", how, str(path)]
        result = subprocess.run(child, capture_output=True, text=True, check=True)
        return float(result.stdout.split()[-1])

    times: dict[str, list[float]] = {"torch": [], "checkpoint": []}
    for _ in range(processes):
        for how, values in times.items():
            values.append(load_seconds(how))
    return {how: statistics.median(values) for how, values in times.items()}


def child(how: str, path: Path) -> None:
    """Time one load in this (fresh) process and print the seconds."""
    started = time.perf_counter()
    if how == "torch":
        torch.load(path, map_location="cpu", weights_only=True)
    else:
        load_checkpoint(path)
    print(f"{time.perf_counter() - started:.6f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--processes", type=int, default=5, help="fresh processes per load")
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow old load")
    parser.add_argument("--child", nargs=2, metavar=("HOW", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    config = GeneratorConfig.paper()
    torch.manual_seed(0)
    started = time.perf_counter()
    model = SSSDECG(config.model)
    initialise = time.perf_counter() - started
    print(
        f"SSSD-ECG paper configuration, {sum(p.numel() for p in model.parameters()):,} "
        f"parameters (torch {torch.__version__}, {torch.get_num_threads()} threads); "
        f"full initialisation {initialise:.2f} s; median of {args.repeats} loads in a warm "
        f"process, of {args.processes} fresh processes"
    )
    with tempfile.TemporaryDirectory() as folder:
        native = Path(folder) / "native.pt"
        save_checkpoint(native, model, config)
        release = Path(folder) / "100000.pkl"
        state = native_to_release(release_state(model), config.model.signal_length)
        torch.save({"model_state_dict": state, "optimizer_state_dict": {}}, release)
        time.sleep(SETTLED_SECONDS)  # files just written are hashed on every load
        print(
            f"{'':<8} {'':>4} | {'fresh process':^26} | {'warm process':^51} |"
            f" {'baseline':^15}\n"
            f"{'format':<8} {'MB':>4} | {'torch.load':>10} {'load':>7} {'ratio':>6} | "
            f"{'torch.load':>10} {'first load':>10} {'ratio':>6} {'later':>7} {'ratio':>6}"
            f" | {'load':>7} {'ratio':>6}"
        )
        for name, path in (("native", native), ("release", release)):
            fresh = fresh_process_seconds(path, args.processes)
            fresh_plain, fresh_load = fresh["torch"], fresh["checkpoint"]

            def first_of_file(p: Path = path) -> None:
                forget_remembered_digests()  # as if the process had not seen the file
                load_checkpoint(p)

            warm = interleaved_seconds(
                {
                    "plain": lambda p=path: torch.load(p, map_location="cpu", weights_only=True),
                    "first": first_of_file,
                    "later": lambda p=path: load_checkpoint(p),
                },
                args.repeats,
            )
            plain, first, later = warm["plain"], warm["first"], warm["later"]
            old = float("nan") if args.no_baseline else seconds(lambda p=path: baseline_load(p), 1)
            print(
                f"{name:<8} {path.stat().st_size / 1e6:>4.0f} | {fresh_plain:>9.2f}s "
                f"{fresh_load:>6.2f}s {fresh_load / fresh_plain:>5.2f}x | {plain:>9.2f}s "
                f"{first:>9.2f}s {first / plain:>5.2f}x {later:>6.2f}s {later / plain:>5.2f}x"
                f" | {old:>6.2f}s {old / plain:>5.2f}x"
            )
        checkpoint = load_checkpoint(native)
        key = KernelCacheKey(
            checkpoint.sha256, config.model.signal_length, "exact", "trained", "cpu"
        )
        cache = Path(folder) / "kernel-cache"
        built = kernel_spectra(checkpoint.model, key, cache)
        read = kernel_spectra(checkpoint.model, key, cache)
        size = built.path.stat().st_size / 1e6
        print(
            f"S4 kernel spectra ({len(built.state)} layers, {size:.0f} MB on disk): "
            f"computed and written {built.seconds:.2f} s, read and checked {read.seconds:.2f} s "
            f"({built.seconds / read.seconds:.1f}x faster); source {built.source} -> {read.source}"
        )


if __name__ == "__main__":
    main()
