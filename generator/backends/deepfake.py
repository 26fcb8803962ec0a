"""Backend for DeepFake-ECG (Thambawita et al. 2021): the unconditional Pulse2Pulse generator
shipped by the ``deepfake-ecg`` package, with its bundled weights (no download).

Units: the package writes ``int(tanh_output * 6000)`` to its .asc files; the scale is
microvolts, so millivolts are ``tanh_output * 6``. Checked against real PTB-XL ECGs: the
mean peak-to-peak amplitude of leads I, II, V1-V6 then lies within a factor 1.5 of the real
one in every lead (tests/generator/test_backend_deepfake.py), whereas reading the values as
GE MUSE units of 4.88 uV would make them about five times too large.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.signal import resample_poly

from generator.core.diffusion import sample_seed
from generator.core.leads import twelve_from_generated
from generator.core.sampling import resolve_device
from generator.core.torch_files import UnreadableTorchFile, load_weights_only

BACKEND_NAME = "deepfake-ecg"
CONDITIONAL = False  # sampling jobs take no labels and store no SCP codes
NATIVE_RATE = 500
NATIVE_SAMPLES = 5000
MILLIVOLTS_PER_UNIT = 6.0  # tanh output * 6000 uV
GENERATED_LEADS: tuple[str, ...] = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")


class DeepfakeImportError(ImportError):
    """The deepfake-ecg package or its bundled weights cannot be used."""


def _load_generator(device: torch.device) -> tuple[torch.nn.Module, Path]:
    try:
        import deepfakeecg
        from deepfakeecg.models import Generator
    except Exception as exc:  # report exactly why the package does not import
        raise DeepfakeImportError(f"deepfake-ecg does not import: {exc!r}") from exc
    weights = Path(deepfakeecg.__file__).parent / "checkpoints" / "g_stat.pt"
    if not weights.is_file():
        raise DeepfakeImportError(f"deepfake-ecg weights missing at {weights}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its constructor calls deprecated init functions
        model = Generator()
    try:
        state = load_weights_only(weights)["stat_dict"]
        model.load_state_dict(state)
    except (UnreadableTorchFile, KeyError, TypeError, RuntimeError) as exc:
        raise DeepfakeImportError(f"deepfake-ecg weights at {weights} are unusable: {exc}") from exc
    return model.to(device).eval(), weights


class DeepfakeEcgBackend:
    """Unconditional 10 s ECGs (leads I, II, V1-V6 generated; III, aVR, aVL, aVF derived)."""

    name = BACKEND_NAME

    def __init__(
        self, *, device: str | None = None, batch_size: int = 16, output_rate: int = NATIVE_RATE
    ) -> None:
        if output_rate not in (NATIVE_RATE, 100):
            raise ValueError(f"output_rate must be 500 (native) or 100, got {output_rate}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.sampling_rate = output_rate
        self.model, self.weights_path = _load_generator(self.device)

    @torch.no_grad()
    def generate(
        self, label_sets: Sequence[Sequence[str]], seed: int, *, start_index: int = 0
    ) -> np.ndarray:
        """(N, 12, L) float32 mV, standard order; the labels are ignored (unconditional)."""
        outputs = []
        for start in range(0, len(label_sets), self.batch_size):
            count = min(self.batch_size, len(label_sets) - start)
            noise = torch.stack(
                [
                    # The package's input noise: uniform in [-1, 1], one stream per sample.
                    torch.empty(len(GENERATED_LEADS), NATIVE_SAMPLES).uniform_(
                        -1, 1, generator=torch.Generator().manual_seed(sample_seed(seed, i))
                    )
                    for i in range(start_index + start, start_index + start + count)
                ]
            )
            outputs.append(self.model(noise.to(self.device)).float().cpu().numpy())
        generated = (
            np.concatenate(outputs) * MILLIVOLTS_PER_UNIT
            if outputs
            else np.zeros((0, len(GENERATED_LEADS), NATIVE_SAMPLES), np.float32)
        )
        twelve = twelve_from_generated(generated, GENERATED_LEADS)
        if self.sampling_rate != NATIVE_RATE:
            twelve = resample_poly(twelve, self.sampling_rate, NATIVE_RATE, axis=-1)
        if not np.isfinite(twelve).all():
            raise RuntimeError("DeepFake-ECG produced NaN or infinite values")
        return twelve.astype(np.float32)

    def provenance(self) -> dict[str, Any]:
        """Package version, weights hash and the fact that labels are ignored."""
        from importlib.metadata import version

        from generator.core.checkpoint import checkpoint_sha256

        return {
            "generator": self.name,
            "package": f"deepfake-ecg {version('deepfake-ecg')}",
            "checkpoint_sha256": checkpoint_sha256(self.weights_path),
            "conditioning": "none (unconditional; label sets are ignored)",
            "native_sampling_rate": NATIVE_RATE,
            "sampling_rate": self.sampling_rate,
            "resampling": None if self.sampling_rate == NATIVE_RATE else "scipy resample_poly",
            "units": "mV (tanh output x 6000 uV)",
            "generated_leads": list(GENERATED_LEADS),
            "derived_leads": ["III", "aVR", "aVL", "aVF"],
            "per_sample_seed": "SeedSequence([seed, index])",
            "device": self.device.type,
            "torch": torch.__version__,
        }


def create_backend(**options: Any) -> DeepfakeEcgBackend:
    """Build the backend (options: device, batch_size, output_rate)."""
    return DeepfakeEcgBackend(**options)
