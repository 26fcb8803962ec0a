"""Save and load generator checkpoints; the file's SHA-256 is what provenance records."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from generator.core.config import GeneratorConfig
from generator.core.network import SSSDECG
from generator.core.release_format import (
    config_from_release,
    is_release_checkpoint,
    release_to_native,
)

FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read as a generator checkpoint."""


@dataclass
class LoadedCheckpoint:
    """A rebuilt model with the training state stored beside it."""

    model: SSSDECG
    config: GeneratorConfig
    step: int
    optimizer_state: dict[str, Any] | None
    data_fingerprint: str
    sha256: str
    source: str  # "native" or "sssd-ecg-release"
    validation_loss: float | None = None

    @property
    def label_vocabulary(self) -> tuple[str, ...]:
        return self.config.model.label_vocabulary


def checkpoint_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a checkpoint file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_checkpoint(
    path: str | Path,
    model: SSSDECG,
    config: GeneratorConfig,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    step: int = 0,
    data_fingerprint: str = "",
    validation_loss: float | None = None,
) -> str:
    """Write a checkpoint atomically and return its SHA-256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format_version": FORMAT_VERSION,
        "config": config.to_dict(),
        "label_vocabulary": list(config.model.label_vocabulary),
        "model_state": model.state_dict(),
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "step": int(step),
        "data_fingerprint": data_fingerprint,
        "validation_loss": validation_loss,
    }
    partial = path.with_name(path.name + ".partial")
    torch.save(payload, partial)
    os.replace(partial, path)
    return checkpoint_sha256(path)


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> LoadedCheckpoint:
    """Rebuild the model of a checkpoint (native format or the SSSD-ECG release's)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a corrupt or foreign file
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        raise CheckpointError(
            f"checkpoint {path} cannot be read as a torch checkpoint "
            f"({type(exc).__name__}{': ' + reason if reason else ''})"
        ) from exc
    sha256 = checkpoint_sha256(path)
    if is_release_checkpoint(payload):
        state = payload["model_state_dict"]
        config = config_from_release(state)
        model = _build(config, release_to_native(state), path)
        return LoadedCheckpoint(model.to(device), config, 0, None, "", sha256, "sssd-ecg-release")
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path} is not a format-{FORMAT_VERSION} checkpoint")
    config = GeneratorConfig.from_dict(payload["config"])
    if tuple(payload["label_vocabulary"]) != config.model.label_vocabulary:
        raise CheckpointError(f"checkpoint {path}: label vocabulary disagrees with its config")
    model = _build(config, payload["model_state"], path)
    return LoadedCheckpoint(
        model=model.to(device),
        config=config,
        step=int(payload["step"]),
        optimizer_state=payload["optimizer_state"],
        data_fingerprint=str(payload["data_fingerprint"]),
        sha256=sha256,
        source="native",
        validation_loss=payload.get("validation_loss"),
    )


def _build(config: GeneratorConfig, state: dict[str, torch.Tensor], path: Path) -> SSSDECG:
    model = SSSDECG(config.model)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint {path} does not fit its configuration: {exc}") from exc
    return model
