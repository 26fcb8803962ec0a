"""Small SSSD-ECG-nle checkpoints for tests that sample through the platform: untrained, or
briefly trained so that its samples have a plausible amplitude."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from generator.core.checkpoint import save_checkpoint
from generator.core.config import GeneratorConfig
from generator.core.diffusion import NoiseSchedule, training_loss
from generator.core.labels import encode_label_sets
from generator.core.leads import generated_from_twelve
from generator.core.network import SSSDECG
from generator.core.training import EcgDataset, TrainingOptions, train


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


def trained_tiny_checkpoint(folder: Path, *, steps: int = 100) -> Path:
    """Train the tiny configuration for ``steps`` steps on 0.5 mV sinusoids and return its
    last checkpoint (about 30 s on two CPU cores). An untrained network's samples peak
    beyond ±10 mV, so seeding would leave them all out; these stay near 7 mV."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    t = np.arange(1000) / 100
    signals = 0.5 * np.sin(2 * np.pi * rng.uniform(1, 3, (64, 12, 1)) * t)
    config = GeneratorConfig.tiny(label_variant="nle")
    labels = encode_label_sets([["NORM", "SR"]] * 64, config.model.label_vocabulary)
    options = TrainingOptions(
        steps=steps, batch_size=8, lr=5e-3, device="cpu", out_dir=folder, log_every=steps
    )
    result = train(EcgDataset(signals.astype(np.float32), labels), config=config, options=options)
    return result.checkpoints[-1]


def synthetic_ecgs(count: int, length: int, seed: int) -> np.ndarray:
    """Sines of random frequency and phase per lead, (count, 12, length) mV."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / 100
    frequency, phase = rng.uniform(1, 3, (2, count, 12, 1))
    return np.sin(2 * np.pi * frequency * t + 6 * phase).astype(np.float32)


def trained_checkpoint(
    path: Path, mode: str, signals: np.ndarray, steps: int = 120, device: str = "cpu"
) -> Path:
    """A tiny model fitted for a few Adam steps on ``device`` with the kernel in ``mode``
    (the same draws on every device)."""
    torch.manual_seed(0)
    config = GeneratorConfig.tiny(signal_length=signals.shape[-1], kernel_mode=mode)
    model = SSSDECG(config.model).to(device)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    schedule = NoiseSchedule.from_config(config.diffusion)
    x0 = torch.from_numpy(generated_from_twelve(signals, config.model.lead_set)).to(device)
    vocabulary = config.model.label_vocabulary
    labels = torch.from_numpy(encode_label_sets([[]] * len(signals), vocabulary)).to(device)
    generator = torch.Generator().manual_seed(1)
    for _ in range(steps):
        optimizer.zero_grad()
        training_loss(model, x0, labels, schedule, generator).backward()
        optimizer.step()
    save_checkpoint(path, model, config)
    return path
