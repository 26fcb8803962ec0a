"""Backend for SSSD-ECG(-nle) checkpoints: label-conditioned diffusion sampling."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generator.core.checkpoint import load_checkpoint
from generator.core.sampling import SamplerSettings, generate, resolve_device

BACKEND_NAME = "sssd-nle"


class SssdNleBackend:
    """Samples a trained SSSD-ECG(-nle) checkpoint with DDPM or DDIM."""

    name = BACKEND_NAME

    def __init__(
        self,
        checkpoint: str | Path,
        *,
        sampler: str = "ddpm",
        steps: int | None = None,
        eta: float = 0.0,
        batch_size: int = 16,
        device: str | None = None,
        cache_kernels: bool = True,
        kernel_mode: str | None = None,
        ema: bool = False,
    ) -> None:
        self.device = resolve_device(device)
        self.checkpoint_path = Path(checkpoint)
        self.loaded = load_checkpoint(
            self.checkpoint_path, self.device, kernel_mode=kernel_mode, ema=ema
        )
        self.settings = SamplerSettings(sampler, steps, eta, batch_size, cache_kernels)
        self.settings.validate(self.loaded.config.diffusion.T)
        self.sampling_rate = self.loaded.config.model.sampling_rate

    def generate(
        self, label_sets: Sequence[Sequence[str]], seed: int, *, start_index: int = 0
    ) -> np.ndarray:
        """(N, 12, L) float32 mV, standard lead order; one ECG per label set."""
        return generate(
            self.loaded.model,
            self.loaded.config,
            label_sets,
            seed,
            start_index=start_index,
            settings=self.settings,
        )

    def provenance(self) -> dict[str, Any]:
        """Checkpoint hash, model variant and sampler settings."""
        config = self.loaded.config
        return {
            "generator": self.name,
            "checkpoint_sha256": self.loaded.sha256,
            "checkpoint_file": self.checkpoint_path.name,
            "checkpoint_format": self.loaded.source,
            "checkpoint_step": self.loaded.step,
            "weights": self.loaded.weights,
            "label_variant": config.model.label_variant,
            "label_vocabulary_size": len(config.model.label_vocabulary),
            "lead_set": config.model.lead_set,
            "kernel_mode": config.model.s4.kernel_mode,
            "sampler": self.settings.sampler,
            "steps": self.settings.denoising_steps(config.diffusion.T),
            "eta": self.settings.eta if self.settings.sampler == "ddim" else None,
            "diffusion_T": config.diffusion.T,
            "sampling_rate": self.sampling_rate,
            "units": "mV",
            "per_sample_seed": "SeedSequence([seed, index])",
            "device": self.device.type,
            "torch": torch.__version__,
        }


def create_backend(**options: Any) -> SssdNleBackend:
    """Build the backend; ``checkpoint`` is required."""
    if "checkpoint" not in options:
        raise ValueError("the sssd-nle backend needs a 'checkpoint' path")
    return SssdNleBackend(**options)
