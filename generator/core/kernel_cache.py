"""S4 kernel spectra computed once per checkpoint and kept on disk for later jobs.

A spectrum depends only on the weights, the signal length and the kernel mode, so a file
keyed by the checkpoint's SHA-256, the length, the mode, the weights (trained or EMA) and
the device type can stand in for recomputing every S4 kernel (19 s at paper size on CPU).
A file that cannot be read or does not match what the network computes today is ignored
with a warning and rebuilt; nothing here raises for a bad cache file.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor

from generator.core.network import SSSDECG
from generator.core.s4 import S4
from generator.core.torch_files import save_atomically

logger = logging.getLogger(__name__)

CACHE_FORMAT_VERSION = 1
# A stored spectrum is accepted when it is this close to a freshly computed one (relative to
# the spectrum's largest magnitude): equal up to float rounding across thread counts.
TOLERANCE = 1e-5


@dataclass(frozen=True)
class KernelCacheKey:
    """What the spectra of one network depend on."""

    checkpoint_sha256: str
    length: int
    kernel_mode: str
    weights: str  # "trained" or "ema"
    device: str  # device type the spectra are computed on: "cpu" or "cuda"

    def filename(self) -> str:
        return (
            f"{self.checkpoint_sha256}-L{self.length}-{self.kernel_mode}-{self.weights}"
            f"-{self.device}.v{CACHE_FORMAT_VERSION}.pt"
        )


@dataclass
class KernelSpectra:
    """The spectra of every S4 module, keyed by module name, and where they came from."""

    state: dict[str, Tensor]
    source: str  # "disk" or "built"
    seconds: float
    path: Path | None = None


def kernel_spectra(
    model: SSSDECG, key: KernelCacheKey, cache_dir: str | Path | None = None
) -> KernelSpectra:
    """The spectra of ``model`` for ``key``: read from ``cache_dir`` when a valid file is
    there, else computed (and written there, atomically, when ``cache_dir`` is given)."""
    start = time.perf_counter()
    path = Path(cache_dir) / key.filename() if cache_dir else None
    if path is not None and path.is_file():
        state = _read(path, model, key)
        if state is not None:
            return KernelSpectra(state, "disk", time.perf_counter() - start, path)
    state = model.kernel_cache_state(key.length)
    if path is not None:
        _write(path, state, key)
    return KernelSpectra(state, "built", time.perf_counter() - start, path)


def _read(path: Path, model: SSSDECG, key: KernelCacheKey) -> dict[str, Tensor] | None:
    device = next(model.parameters()).device
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises many kinds for a truncated or foreign file
        reason = (str(exc).strip().splitlines() or [""])[0][:160]
        logger.warning(
            "kernel cache %s is unreadable (%s: %s); rebuilding it",
            path,
            type(exc).__name__,
            reason,
        )
        return None
    problem = _mismatch(payload, model, key)
    if problem:
        logger.warning("kernel cache %s is not usable (%s); rebuilding it", path, problem)
        return None
    return payload["spectra"]


def _mismatch(payload: object, model: SSSDECG, key: KernelCacheKey) -> str | None:
    """Why ``payload`` cannot stand in for the spectra of ``model``; None when it can."""
    if not isinstance(payload, dict) or payload.get("format_version") != CACHE_FORMAT_VERSION:
        return f"not a format-{CACHE_FORMAT_VERSION} kernel cache"
    if payload.get("key") != asdict(key):
        return f"written for {payload.get('key')}"
    spectra = payload.get("spectra")
    modules = {name: m for name, m in model.named_modules() if isinstance(m, S4)}
    if not isinstance(spectra, dict) or set(spectra) != set(modules):
        return "its S4 modules are not this network's"
    if not all(isinstance(value, Tensor) for value in spectra.values()):
        return "it holds something other than tensors"
    # Modules with the same parameter shapes give spectra of the same shape: compute one
    # per such group and hold the stored ones to its shape, dtype and (for it) values.
    fresh: dict[tuple, Tensor] = {}
    with torch.no_grad():
        for name, module in modules.items():
            tensors = (*module.parameters(), *module.buffers())
            signature = tuple((tensor.shape, tensor.dtype) for tensor in tensors)
            stored = spectra[name]
            if signature not in fresh:
                fresh[signature] = module.kernel_spectrum(key.length)
                if stored.shape == fresh[signature].shape:
                    scale = float(fresh[signature].abs().max()) or 1.0
                    if float((stored - fresh[signature]).abs().max()) > TOLERANCE * scale:
                        return f"{name} differs from the spectrum its weights give"
            expected = fresh[signature]
            if stored.shape != expected.shape or stored.dtype != expected.dtype:
                return (
                    f"{name} is {tuple(stored.shape)} {stored.dtype}, "
                    f"expected {tuple(expected.shape)} {expected.dtype}"
                )
    return None


def _write(path: Path, state: dict[str, Tensor], key: KernelCacheKey) -> None:
    payload = {
        "format_version": CACHE_FORMAT_VERSION,
        "key": asdict(key),
        "spectra": {name: value.detach().cpu() for name, value in state.items()},
        "torch": str(torch.__version__),
    }
    try:
        save_atomically(payload, path)
    except OSError as exc:  # a read-only or full disk costs the next job the build, no more
        logger.warning("kernel cache %s could not be written (%s)", path, exc)
