"""Backend for SSSD-ECG(-nle) checkpoints: label-conditioned diffusion sampling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generator.core.checkpoint import load_checkpoint
from generator.core.kernel_cache import KernelCacheKey, KernelSpectra, kernel_spectra
from generator.core.pointwise import chosen_ways
from generator.core.sampling import (
    SamplerSettings,
    compile_for_sampling,
    generate,
    resolve_device,
)

BACKEND_NAME = "sssd-nle"


class SssdNleBackend:
    """Samples a trained SSSD-ECG(-nle) checkpoint with DDPM or DDIM.

    With ``cache_kernels`` (the default) the S4 kernel spectra are computed once per backend
    and reused by every ``generate`` call (every chunk of a job); with ``kernel_cache_dir``
    they are also kept on disk there, so a later job or worker process reads them instead
    (the sampling jobs pass the ``GENERATOR_KERNEL_CACHE_DIR`` setting).
    """

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
        kernel_cache_dir: str | Path | None = None,
        compile: bool = False,
    ) -> None:
        self.device = resolve_device(device)
        self.checkpoint_path = Path(checkpoint)
        self.loaded = load_checkpoint(
            self.checkpoint_path, self.device, kernel_mode=kernel_mode, ema=ema
        )
        self.settings = SamplerSettings(sampler, steps, eta, batch_size, cache_kernels)
        self.settings.validate(self.loaded.config.diffusion.T)
        self.compiled = compile
        if compile:
            compile_for_sampling(self.loaded.model)
        self.sampling_rate = self.loaded.config.model.sampling_rate
        self.kernel_cache_dir = Path(kernel_cache_dir) if kernel_cache_dir else None
        self._spectra: KernelSpectra | None = None

    def kernel_spectra(self) -> KernelSpectra:
        """The S4 kernel spectra of the checkpoint, computed or read from disk once."""
        if self._spectra is None:
            config = self.loaded.config.model
            key = KernelCacheKey(
                checkpoint_sha256=self.loaded.sha256,
                length=config.signal_length,
                kernel_mode=config.s4.kernel_mode,
                weights=self.loaded.weights,
                device=self.device.type,
            )
            self._spectra = kernel_spectra(self.loaded.model, key, self.kernel_cache_dir)
        return self._spectra

    def generate(
        self, label_sets: Sequence[Sequence[str]], seed: int, *, start_index: int = 0
    ) -> np.ndarray:
        """(N, 12, L) float32 mV, standard lead order; one ECG per label set."""
        model, config = self.loaded.model, self.loaded.config
        if not self.settings.cache_kernels:
            return generate(
                model, config, label_sets, seed, start_index=start_index, settings=self.settings
            )
        settings = replace(self.settings, cache_kernels=False)  # the backend holds them
        with model.use_kernel_cache(self.kernel_spectra().state):
            return generate(
                model, config, label_sets, seed, start_index=start_index, settings=settings
            )

    def provenance(self) -> dict[str, Any]:
        """Checkpoint hash, model variant, sampler settings and how the products ran."""
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
            "compiled": self.compiled,
            "pointwise": chosen_ways(self.loaded.model, config.model.signal_length),
            "torch": torch.__version__,
        }


def create_backend(**options: Any) -> SssdNleBackend:
    """Build the backend; ``checkpoint`` is required."""
    if "checkpoint" not in options:
        raise ValueError("the sssd-nle backend needs a 'checkpoint' path")
    return SssdNleBackend(**options)
