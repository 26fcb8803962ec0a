"""Save and load generator checkpoints; the file's SHA-256 is what provenance records."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from generator.core.config import ConfigError, GeneratorConfig, SSSDConfig
from generator.core.ema import WeightAverage
from generator.core.file_hash import file_identity, remembered_file_sha256
from generator.core.meta_device import StateMismatch, filled_copy, without_cyclic_gc
from generator.core.network import SSSDECG
from generator.core.release_format import (
    config_from_release,
    is_release_checkpoint,
    release_to_native,
)
from generator.core.torch_files import UnreadableTorchFile, load_weights_only, save_atomically

FORMAT_VERSION = 1
# What every native checkpoint holds (save_checkpoint writes them all).
NATIVE_ENTRIES = ("config", "label_vocabulary", "model_state", "step", "data_fingerprint")


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
    """Hex SHA-256 of a checkpoint file (what provenance records of it), hashed once per
    process while the file stays the same."""
    return remembered_file_sha256(path)


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
    save_atomically(payload, path)
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
    try:
        before = file_identity(path)
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(checkpoint_sha256, path)  # hashed while the weights load
            loaded = _load(path, device, kernel_mode, ema)
            loaded.sha256 = digest.result()
        changed = file_identity(path) != before  # then the digest may not be of the loaded bytes
    except OSError as exc:  # removed or unreadable while it was loaded
        raise CheckpointError(f"checkpoint {path} cannot be read ({exc.strerror})") from exc
    if changed:
        raise CheckpointError(f"checkpoint {path} changed while it was loaded; load it again")
    return loaded


def _load(
    path: Path, device: str | torch.device, kernel_mode: str | None, ema: bool
) -> LoadedCheckpoint:
    try:
        payload = load_weights_only(path)
    except UnreadableTorchFile as exc:
        raise CheckpointError(
            f"checkpoint {path} cannot be read as a torch checkpoint: {exc}"
        ) from exc
    release = is_release_checkpoint(payload)
    average = None if release or not isinstance(payload, dict) else payload.get("ema")
    if average is not None and not isinstance(average, dict):
        raise CheckpointError(f"checkpoint {path}: its moving average is not a map")
    if ema and average is None:
        raise CheckpointError(f"checkpoint {path} holds no moving average of its weights")
    if release:
        state = _state_dict(payload["model_state_dict"], path)
        try:
            config = config_from_release(state)
        except ValueError as exc:
            raise CheckpointError(f"checkpoint {path}: {exc}") from exc
        config = _with_mode(config, kernel_mode)
        model = _build(config, release_to_native(state), path)
        return LoadedCheckpoint(_on(model, device), config, 0, None, "", "", "sssd-ecg-release")
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path} is not a format-{FORMAT_VERSION} checkpoint")
    absent = [key for key in NATIVE_ENTRIES if key not in payload]
    if absent:
        raise CheckpointError(f"checkpoint {path} lacks {', '.join(absent)}")
    try:
        config = GeneratorConfig.from_dict(payload["config"])
    except ConfigError as exc:
        raise CheckpointError(f"checkpoint {path}: {exc}") from exc
    config = _with_mode(config, kernel_mode)
    vocabulary = payload["label_vocabulary"]
    if not isinstance(vocabulary, list) or tuple(vocabulary) != config.model.label_vocabulary:
        raise CheckpointError(f"checkpoint {path}: label vocabulary disagrees with its config")
    # the model takes the state's tensors; the average it returns beside stays its own
    if ema:
        state = {n: v.clone() for n, v in _state_dict(average.get("state"), path).items()}
    else:
        state = _state_dict(payload["model_state"], path)
    model = _build(config, state, path)
    return LoadedCheckpoint(
        model=_on(model, device),
        config=config,
        step=_step(payload["step"], path),
        optimizer_state=payload.get("optimizer_state"),
        data_fingerprint=str(payload["data_fingerprint"]),
        sha256="",  # set by load_checkpoint
        source="native",
        validation_loss=payload.get("validation_loss"),
        ema=average,
        weights="ema" if ema else "trained",
        training_data=payload.get("training_data") or None,
    )


def _step(step: object, path: Path) -> int:
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise CheckpointError(f"checkpoint {path}: step {step!r} is not a count of steps")
    return step


def _state_dict(state: object, path: Path) -> dict[str, torch.Tensor]:
    """``state`` if it is a mapping of names to tensors, else a CheckpointError saying so."""
    if not isinstance(state, dict) or not all(
        isinstance(name, str) and isinstance(value, torch.Tensor) for name, value in state.items()
    ):
        raise CheckpointError(f"checkpoint {path}: its model state is not a map of named tensors")
    return state


def _with_mode(config: GeneratorConfig, kernel_mode: str | None) -> GeneratorConfig:
    if kernel_mode is None:
        return config
    try:
        return config.with_kernel_mode(kernel_mode)
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from exc


def _build(config: GeneratorConfig, state: dict[str, torch.Tensor], path: Path) -> SSSDECG:
    """The model of ``config`` holding ``state``, without computing an initialisation first.

    The module tree is laid out on the meta device once per configuration and process
    (shapes only: the S4 length correction and random initialisation cost ~90% of a
    paper-size load and would be overwritten), then copied around the checkpoint's tensors.
    """
    try:
        model = filled_copy(_skeleton(config.model), state)
    except StateMismatch as exc:
        raise CheckpointError(f"checkpoint {path} does not fit its configuration: {exc}") from exc
    unset = [name for name, t in (*model.named_parameters(), *model.named_buffers()) if t.is_meta]
    if unset:  # only a tensor outside the state dict; none exists today
        raise CheckpointError(f"checkpoint {path} leaves {', '.join(unset)} without values")
    return model  # type: ignore[return-value]


def _on(model: SSSDECG, device: str | torch.device) -> SSSDECG:
    """``model`` on ``device`` (loaded on the CPU; moving it there would walk every module)."""
    return model if torch.device(device).type == "cpu" else model.to(device)


@functools.lru_cache(maxsize=4)
def _skeleton(config: SSSDConfig) -> SSSDECG:
    """The network of ``config`` on the meta device, copied by every load of that config."""
    with torch.device("meta"), without_cyclic_gc():
        return SSSDECG(config)
