"""Train the SSSD-ECG generator on in-memory ECGs (pure PyTorch, usable without Django)."""

from __future__ import annotations

import hashlib
import math
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
import torch
from tqdm import tqdm

from generator.core.checkpoint import load_checkpoint, save_checkpoint
from generator.core.config import GeneratorConfig
from generator.core.diffusion import NoiseSchedule, diffusion_draws, training_loss
from generator.core.distributed import World, init_world
from generator.core.ema import WeightAverage
from generator.core.leads import generated_from_twelve
from generator.core.network import SSSDECG
from generator.core.s4 import SSM_PARAMETER_NAMES
from generator.core.sampling import resolve_device


@dataclass
class EcgDataset:
    """ECGs (N, 12, L) in standard lead order, mV, with multi-hot labels (N, K).

    ``description`` says where they came from (e.g. ``{"dataset": "PTB-XL", "folds": [1,
    ..., 8]}``); checkpoints record it, so that evaluations can tell which real ECGs the
    generator has seen.
    """

    signals: np.ndarray
    labels: np.ndarray
    description: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.signals = np.asarray(self.signals, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.float32)
        if self.signals.ndim != 3 or self.signals.shape[1] != 12:
            raise ValueError(f"signals must have shape (N, 12, L), got {self.signals.shape}")
        if self.labels.ndim != 2 or len(self.labels) != len(self.signals):
            raise ValueError(
                f"labels must have shape (N, K) with N={len(self.signals)}, got {self.labels.shape}"
            )
        if len(self.signals) == 0:
            raise ValueError("the dataset is empty")
        if not np.isfinite(self.signals).all():
            raise ValueError("signals contain NaN or infinite values")

    def __len__(self) -> int:
        return len(self.signals)

    def fingerprint(self) -> str:
        """SHA-256 over the signal and label bytes (identifies the training data)."""
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.signals).tobytes())
        digest.update(np.ascontiguousarray(self.labels).tobytes())
        return digest.hexdigest()


@dataclass(frozen=True)
class TrainingOptions:
    """How to train: total steps, batch, learning rates, checkpoints, device, seed."""

    steps: int = 100_000
    batch_size: int = 8
    lr: float = 2e-4
    ssm_lr: float | None = None  # default min(lr, 1e-3)
    seed: int = 0
    checkpoint_every: int = 0  # 0: only the final checkpoint
    out_dir: Path | None = None
    validate_every: int = 0  # 0: validate at checkpoints (when a validation set is given)
    validation_batches: int = 4
    device: str | None = None  # None: cuda when available
    mixed_precision: bool = True  # bf16 autocast, used on CUDA only
    ema: float | None = None  # decay of a moving average of the weights; None: none kept
    progress_bar: bool = True  # a bar on a terminal, plain lines otherwise (off: neither)
    log_every: int = 0  # steps between plain progress lines; 0: about 1% of the run


@dataclass(frozen=True)
class TrainingProgress:
    """What a progress callback receives after each step."""

    step: int
    total_steps: int
    loss: float
    steps_per_second: float
    validation_loss: float | None = None


@dataclass
class TrainingResult:
    """Losses by step, validation losses and the checkpoints written."""

    model: SSSDECG
    config: GeneratorConfig
    step: int
    losses: list[float] = field(default_factory=list)
    validation_losses: dict[int, float] = field(default_factory=dict)
    checkpoints: list[Path] = field(default_factory=list)
    world: World = field(default_factory=World)


ProgressCallback = Callable[[TrainingProgress], None]


def build_optimizer(model: SSSDECG, lr: float, ssm_lr: float | None = None) -> torch.optim.Adam:
    """Adam; the S4 state-space parameters (dt, A, B) get their own lr and no weight decay."""
    ssm, other = [], []
    for name, parameter in model.named_parameters():
        (ssm if name.rsplit(".", 1)[-1] in SSM_PARAMETER_NAMES else other).append(parameter)
    groups = [{"params": other, "lr": lr}]
    if ssm:
        groups.append({"params": ssm, "lr": ssm_lr or min(lr, 1e-3), "weight_decay": 0.0})
    return torch.optim.Adam(groups, lr=lr)


def epoch_batch(step: int, batch_size: int, size: int, seed: int) -> np.ndarray:
    """Dataset indices of training ``step`` (1-based): batches drawn without replacement.

    Batches walk through one seeded permutation of the dataset per epoch (a batch may span
    two epochs), so every example is drawn once per epoch and any step can be recomputed.
    """
    positions = np.arange((step - 1) * batch_size, step * batch_size)
    epochs, offsets = np.divmod(positions, size)
    orders = {e: np.random.default_rng([seed, e]).permutation(size) for e in set(epochs.tolist())}
    return np.array([orders[e][o] for e, o in zip(epochs.tolist(), offsets, strict=True)])


def train(
    train_set: EcgDataset,
    *,
    config: GeneratorConfig | None = None,
    options: TrainingOptions | None = None,
    validation_set: EcgDataset | None = None,
    resume: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> TrainingResult:
    """Train until ``options.steps`` total steps; returns losses and checkpoint paths.

    ``resume`` continues from a checkpoint (its configuration, weights, optimiser state and
    step count); otherwise ``config`` defines a fresh model. Batches come from
    :func:`epoch_batch`, diffusion steps and noise from a generator seeded by (seed, step),
    so a resumed run follows the same data stream as an uninterrupted one.

    Under torchrun (``WORLD_SIZE`` > 1) the model is wrapped in DistributedDataParallel and
    each rank trains on its share of every global batch of ``options.batch_size``, so any
    world size follows the same stream; only rank 0 validates, logs and writes checkpoints.
    """
    options = options or TrainingOptions()
    if options.steps < 1 or options.batch_size < 1:
        raise ValueError("steps and batch_size must be positive")
    if options.log_every < 0:
        raise ValueError(f"log_every must be >= 0, got {options.log_every}")
    world, device = init_world(resolve_device(options.device))
    share = world.share(options.batch_size)
    model, config, optimizer, start_step, average = _initial_state(config, options, resume, device)
    ema = WeightAverage(model, options.ema, average) if options.ema and world.is_main else None
    trained = _parallel(model, world, device)
    _check_dataset(train_set, config, "training")
    if validation_set is not None:
        _check_dataset(validation_set, config, "validation")
    schedule = NoiseSchedule.from_config(config.diffusion)
    signals = torch.from_numpy(generated_from_twelve(train_set.signals, config.model.lead_set))
    labels = torch.from_numpy(train_set.labels)
    fingerprint = train_set.fingerprint()
    result = TrainingResult(model=model, config=config, step=start_step, world=world)
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if device.type == "cuda" and options.mixed_precision
        else nullcontext()
    )
    shown = ProgressDisplay(
        options.steps,
        start_step,
        enabled=options.progress_bar and world.is_main,
        every=options.log_every,
    )
    started, validation_every = time.perf_counter(), options.validate_every
    latest_validation: float | None = None
    for step in range(start_step + 1, options.steps + 1):
        generator = torch.Generator().manual_seed(options.seed * 1_000_003 + step)
        batch = torch.from_numpy(epoch_batch(step, options.batch_size, len(signals), options.seed))
        steps, noise = diffusion_draws(schedule, (len(batch), *signals.shape[1:]), generator)
        batch, draws = batch[share], (steps[share], noise[share])
        trained.train()
        with autocast:
            loss = training_loss(
                trained, signals[batch].to(device), labels[batch].to(device), schedule, draws=draws
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if ema is not None:
            ema.update(model)
        value = world.mean(loss)
        if not math.isfinite(value):
            raise FloatingPointError(f"training loss became {value} at step {step}")
        result.losses.append(value)
        result.step = step
        at_checkpoint = options.checkpoint_every and step % options.checkpoint_every == 0
        validation_loss = None
        if (
            world.is_main
            and validation_set is not None
            and (
                (validation_every and step % validation_every == 0)
                or (not validation_every and at_checkpoint)
                or step == options.steps
            )
        ):
            validation_loss = evaluate(
                model, validation_set, config, options.validation_batches, options.batch_size
            )
            result.validation_losses[step] = validation_loss
            latest_validation = validation_loss
        if (
            world.is_main
            and options.out_dir is not None
            and (at_checkpoint or step == options.steps)
        ):
            path = Path(options.out_dir) / f"checkpoint_{step:08d}.pt"
            save_checkpoint(
                path,
                model,
                config,
                optimizer=optimizer,
                step=step,
                data_fingerprint=fingerprint,
                training_data=train_set.description,
                validation_loss=latest_validation,
                ema=ema,
            )
            result.checkpoints.append(path)
        rate = (step - start_step) / max(time.perf_counter() - started, 1e-9)
        report = TrainingProgress(step, options.steps, value, rate, validation_loss)
        shown.update(report, latest_validation)
        if progress is not None:
            progress(report)
    shown.close()
    return result


class ProgressDisplay:
    """Training progress for people: a tqdm bar on a terminal, plain lines elsewhere.

    When ``stream`` (default: standard error) is not a terminal (a log file, a pipe, a
    batch scheduler) a bar's carriage returns make an unreadable log, so every ``every``
    steps (default about 1% of the run, at most 100 steps) and at the first and last step
    one line gives the step, loss, speed and estimated time left.
    """

    def __init__(
        self,
        total: int,
        initial: int = 0,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        every: int = 0,
    ) -> None:
        self.stream = stream or sys.stderr
        self.total, self.initial = total, initial
        terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.lines = enabled and not terminal
        self.every = every or min(100, max(1, (total - initial) // 100))
        self.bar = tqdm(
            total=total,
            initial=initial,
            disable=not enabled or self.lines,
            file=self.stream,
            desc="train",
            unit="step",
        )

    def update(self, progress: TrainingProgress, validation_loss: float | None = None) -> None:
        """Show the step just taken (``validation_loss``: the latest one, if any)."""
        if self.lines:
            step = progress.step
            if step == self.initial + 1 or step == self.total or step % self.every == 0:
                self.stream.write(progress_line(progress, validation_loss) + "\n")
                self.stream.flush()
            return
        postfix = {"loss": f"{progress.loss:.4f}", "it_s": f"{progress.steps_per_second:.2f}"}
        if validation_loss is not None:
            postfix["val_loss"] = f"{validation_loss:.4f}"
        self.bar.set_postfix(postfix)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def progress_line(progress: TrainingProgress, validation_loss: float | None = None) -> str:
    """'train step 200/1000 loss 0.1234 val_loss 0.1300 2.50 steps/s ETA 0:05:20'."""
    left = (progress.total_steps - progress.step) / max(progress.steps_per_second, 1e-9)
    minutes, seconds = divmod(round(left), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"train step {progress.step}/{progress.total_steps}",
        f"loss {progress.loss:.4f}",
        *([f"val_loss {validation_loss:.4f}"] if validation_loss is not None else []),
        f"{progress.steps_per_second:.2f} steps/s",
        f"ETA {hours}:{minutes:02d}:{seconds:02d}",
    ]
    return " ".join(parts)


@torch.no_grad()
def evaluate(
    model: SSSDECG,
    dataset: EcgDataset,
    config: GeneratorConfig,
    batches: int = 4,
    batch_size: int = 8,
) -> float:
    """Mean diffusion loss on fixed (seeded) batches, steps and noise of ``dataset``."""
    device = next(model.parameters()).device
    schedule = NoiseSchedule.from_config(config.diffusion)
    signals = torch.from_numpy(generated_from_twelve(dataset.signals, config.model.lead_set))
    labels = torch.from_numpy(dataset.labels)
    generator = torch.Generator().manual_seed(0)
    model.eval()
    losses = []
    for _ in range(batches):
        batch = torch.randint(len(signals), (batch_size,), generator=generator)
        losses.append(
            float(
                training_loss(
                    model, signals[batch].to(device), labels[batch].to(device), schedule, generator
                )
            )
        )
    return float(np.mean(losses))


def _parallel(model: SSSDECG, world: World, device: torch.device) -> torch.nn.Module:
    """``model`` wrapped in DistributedDataParallel when there is more than one process.

    The graph is static: the last block's residual convolution never reaches the loss.
    """
    if world.world_size == 1:
        return model
    return torch.nn.parallel.DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None, static_graph=True
    )


def _initial_state(
    config: GeneratorConfig | None,
    options: TrainingOptions,
    resume: str | Path | None,
    device: torch.device,
) -> tuple[SSSDECG, GeneratorConfig, torch.optim.Optimizer, int, dict | None]:
    """Model, configuration, optimiser, step and stored EMA weights to start from."""
    if resume is None:
        if config is None:
            raise ValueError("a configuration is needed when not resuming from a checkpoint")
        torch.manual_seed(options.seed)  # weight initialisation
        model = SSSDECG(config.model).to(device)
        return model, config, build_optimizer(model, options.lr, options.ssm_lr), 0, None
    loaded = load_checkpoint(resume, device)
    if config is not None and config != loaded.config:
        raise ValueError(f"configuration differs from the one stored in {resume}")
    optimizer = build_optimizer(loaded.model, options.lr, options.ssm_lr)
    if loaded.optimizer_state is not None:
        optimizer.load_state_dict(loaded.optimizer_state)
        # load_state_dict restores the saved learning rates; this run's options win.
        fresh = build_optimizer(loaded.model, options.lr, options.ssm_lr)
        for group, wanted in zip(optimizer.param_groups, fresh.param_groups, strict=True):
            group["lr"] = wanted["lr"]
    if loaded.step >= options.steps:
        raise ValueError(
            f"checkpoint {resume} is already at step {loaded.step} >= steps {options.steps}"
        )
    average = loaded.ema["state"] if loaded.ema else None
    return loaded.model, loaded.config, optimizer, loaded.step, average


def _check_dataset(dataset: EcgDataset, config: GeneratorConfig, role: str) -> None:
    length, labels = dataset.signals.shape[-1], dataset.labels.shape[-1]
    if length != config.model.signal_length:
        raise ValueError(
            f"{role} signals have {length} samples, the model expects {config.model.signal_length}"
        )
    if labels != len(config.model.label_vocabulary):
        raise ValueError(
            f"{role} labels have {labels} columns, the vocabulary has "
            f"{len(config.model.label_vocabulary)}"
        )
