"""Save and load generator checkpoints; the file's SHA-256 is what provenance records."""

from __future__ import annotations

import copy
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from generator.core.config import ConfigError, GeneratorConfig, SSSDConfig
from generator.core.ema import WeightAverage
from generator.core.file_hash import file_sha256
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
    ema: dict[str, Any] | None = None  # {"decay", "state"} when training kept an average
    weights: str = "trained"  # "ema" when the model holds the averaged weights
    training_data: dict[str, Any] | None = None  # where the training ECGs came from

    @property
    def label_vocabulary(self) -> tuple[str, ...]:
        return self.config.model.label_vocabulary


def checkpoint_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a checkpoint file (what provenance records of it)."""
    return file_sha256(path)


def save_checkpoint(
    path: str | Path,
    model: SSSDECG,
    config: GeneratorConfig,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    step: int = 0,
    data_fingerprint: str = "",
    training_data: dict[str, Any] | None = None,
    validation_loss: float | None = None,
    ema: WeightAverage | None = None,
) -> str:
    """Write a checkpoint atomically and return its SHA-256 (with the EMA weights if any)."""
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
        "training_data": training_data or {},
        "validation_loss": validation_loss,
        "ema": None if ema is None else {"decay": ema.decay, "state": ema.state_dict()},
    }
    partial = path.with_name(path.name + ".partial")
    torch.save(payload, partial)
    os.replace(partial, path)
    return checkpoint_sha256(path)


def load_checkpoint(
    path: str | Path,
    device: str | torch.device = "cpu",
    *,
    kernel_mode: str | None = None,
    ema: bool = False,
) -> LoadedCheckpoint:
    """Rebuild the model of a checkpoint (native format or the SSSD-ECG release's).

    ``kernel_mode`` overrides the S4 kernel mode the checkpoint records (``exact`` when it
    records none, as for release checkpoints and older native ones). ``ema`` loads the
    exponential moving average of the weights kept during training instead of the weights.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(checkpoint_sha256, path)  # hashed while the weights load
        loaded = _load(path, device, kernel_mode, ema)
        loaded.sha256 = digest.result()
    return loaded


def _load(
    path: Path, device: str | torch.device, kernel_mode: str | None, ema: bool
) -> LoadedCheckpoint:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a corrupt or foreign file
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        raise CheckpointError(
            f"checkpoint {path} cannot be read as a torch checkpoint "
            f"({type(exc).__name__}{': ' + reason if reason else ''})"
        ) from exc
    release = is_release_checkpoint(payload)
    average = None if release or not isinstance(payload, dict) else payload.get("ema")
    if ema and average is None:
        raise CheckpointError(f"checkpoint {path} holds no moving average of its weights")
    if release:
        state = payload["model_state_dict"]
        config = _with_mode(config_from_release(state), kernel_mode)
        model = _build(config, release_to_native(state), path)
        return LoadedCheckpoint(model.to(device), config, 0, None, "", "", "sssd-ecg-release")
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path} is not a format-{FORMAT_VERSION} checkpoint")
    config = _with_mode(GeneratorConfig.from_dict(payload["config"]), kernel_mode)
    if tuple(payload["label_vocabulary"]) != config.model.label_vocabulary:
        raise CheckpointError(f"checkpoint {path}: label vocabulary disagrees with its config")
    # the model takes the state's tensors; the average it returns beside stays its own
    state = {n: v.clone() for n, v in average["state"].items()} if ema else payload["model_state"]
    model = _build(config, state, path)
    return LoadedCheckpoint(
        model=model.to(device),
        config=config,
        step=int(payload["step"]),
        optimizer_state=payload["optimizer_state"],
        data_fingerprint=str(payload["data_fingerprint"]),
        sha256="",  # set by load_checkpoint
        source="native",
        validation_loss=payload.get("validation_loss"),
        ema=average,
        weights="ema" if ema else "trained",
        training_data=payload.get("training_data") or None,
    )


def _with_mode(config: GeneratorConfig, kernel_mode: str | None) -> GeneratorConfig:
    if kernel_mode is None:
        return config
    try:
        return config.with_kernel_mode(kernel_mode)
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from exc


def _build(config: GeneratorConfig, state: dict[str, torch.Tensor], path: Path) -> SSSDECG:
    """The model of ``config`` holding ``state``, without computing an initialisation first.

    The module tree is built on the meta device (shapes only: the S4 length correction and
    random initialisation cost ~90% of a paper-size load and would be overwritten; built once
    per configuration and process, then copied), then the checkpoint's tensors are assigned
    in place of the meta ones, in the module's dtypes.
    """
    model = copy.deepcopy(_skeleton(config.model))
    expected = model.state_dict()
    fitted = {
        name: _fit(value, expected[name]) if name in expected else value
        for name, value in state.items()
    }
    try:
        model.load_state_dict(fitted, assign=True)
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint {path} does not fit its configuration: {exc}") from exc
    unset = [name for name, t in (*model.named_parameters(), *model.named_buffers()) if t.is_meta]
    if unset:  # only a tensor outside the state dict; none exists today
        raise CheckpointError(f"checkpoint {path} leaves {', '.join(unset)} without values")
    return model


@functools.lru_cache(maxsize=4)
def _skeleton(config: SSSDConfig) -> SSSDECG:
    """The network of ``config`` on the meta device, copied by every load of that config."""
    with torch.device("meta"):
        return SSSDECG(config)


def _fit(value: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``value`` in ``like``'s dtype and contiguous, as a copying load would store it."""
    if not isinstance(value, torch.Tensor) or value.shape != like.shape:
        return value  # load_state_dict reports the mismatch
    return value.to(like.dtype).contiguous()
