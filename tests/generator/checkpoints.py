"""A small untrained SSSD-ECG-nle checkpoint for tests that sample through the platform."""

from __future__ import annotations

from pathlib import Path

import torch

from generator.core.checkpoint import save_checkpoint
from generator.core.config import GeneratorConfig
from generator.core.network import SSSDECG


def tiny_checkpoint(path: Path, *, seed: int = 0) -> Path:
    """Write a tiny-configuration checkpoint with seeded random weights to ``path``."""
    torch.manual_seed(seed)
    config = GeneratorConfig.tiny(label_variant="nle")
    model = SSSDECG(config.model)
    # the output layer is zero-initialised; perturb it so samples depend on the labels
    with torch.no_grad():
        for parameter in model.parameters():
            if not parameter.abs().sum():
                parameter.normal_(0, 0.01)
    save_checkpoint(path, model, config, step=0)
    return path
