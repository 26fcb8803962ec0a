"""Benchmark loading a paper-size SSSD-ECG checkpoint and its S4 kernel cache.

Writes a paper-configuration checkpoint (random weights) in a temporary folder in both
formats (native and the SSSD-ECG release's) and prints, side by side, a plain
``torch.load`` of the file, ``load_checkpoint`` (the first load of a configuration in the
process, then later ones) and the baseline it replaced (build the
model with its full initialisation, then copy the weights in), with their ratios to the
plain load; then the S4 kernel spectra computed from the weights vs read from the disk cache.

    python benchmarks/checkpoint_load.py [--repeats 3] [--no-baseline]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.core.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from generator.core.config import GeneratorConfig  # noqa: E402
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
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow old load")
    args = parser.parse_args()
    config = GeneratorConfig.paper()
    torch.manual_seed(0)
    started = time.perf_counter()
    model = SSSDECG(config.model)
    initialise = time.perf_counter() - started
    print(
        f"SSSD-ECG paper configuration, {sum(p.numel() for p in model.parameters()):,} "
        f"parameters (torch {torch.__version__}, {torch.get_num_threads()} threads); "
        f"full initialisation {initialise:.2f} s; median of {args.repeats}"
    )
    with tempfile.TemporaryDirectory() as folder:
        native = Path(folder) / "native.pt"
        save_checkpoint(native, model, config)
        release = Path(folder) / "100000.pkl"
        state = native_to_release(release_state(model), config.model.signal_length)
        torch.save({"model_state_dict": state, "optimizer_state_dict": {}}, release)
        print(
            f"{'format':<8} {'MB':>6} | {'torch.load':>10} | {'first load_checkpoint':>21} "
            f"{'ratio':>6} | {'later loads':>11} {'ratio':>6} | {'baseline':>8} {'ratio':>6}"
        )
        for name, path in (("native", native), ("release", release)):
            plain = seconds(lambda p=path: torch.load(p, map_location="cpu", weights_only=True),
                            args.repeats)  # fmt: skip
            # the first load of a configuration in a process builds its meta skeleton (and
            # the very first imports torch internals); later ones copy the skeleton
            first = seconds(lambda p=path: load_checkpoint(p), 1)
            later = seconds(lambda p=path: load_checkpoint(p), args.repeats)
            old = float("nan") if args.no_baseline else seconds(lambda p=path: baseline_load(p), 1)
            print(
                f"{name:<8} {path.stat().st_size / 1e6:>6.0f} | {plain:>9.2f}s | "
                f"{first:>20.2f}s {first / plain:>5.2f}x | {later:>10.2f}s {later / plain:>5.2f}x"
                f" | {old:>7.2f}s {old / plain:>5.2f}x"
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
