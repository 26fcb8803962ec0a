"""A compact 1-D residual CNN (xresnet1d-style) for the five PTB-XL diagnostic superclasses,
multi-label (one logit per class), and its checkpoints saved with their configuration."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from generator.core.checkpoint import checkpoint_sha256
from generator.core.scp import SUPERCLASSES
from generator.core.torch_files import UnreadableTorchFile, load_weights_only, save_atomically

CLASSIFIER_FORMAT = "ecg-superclass-classifier/1"


@dataclass(frozen=True)
class ClassifierConfig:
    """Shape of the network: ``width`` channels after the stem, doubled at each of the
    stages (``blocks`` residual blocks per stage, every stage after the first halves time)."""

    classes: tuple[str, ...] = SUPERCLASSES
    leads: int = 12
    width: int = 32
    blocks: tuple[int, ...] = (1, 1, 1)
    kernel_size: int = 5
    dropout: float = 0.2

    def __post_init__(self) -> None:
        if not self.classes or self.leads < 1 or self.width < 1 or not self.blocks:
            raise ValueError(f"classifier configuration {self} has an empty dimension")
        if self.kernel_size % 2 == 0 or min(self.blocks) < 1 or not 0 <= self.dropout < 1:
            raise ValueError("kernel_size must be odd, blocks >= 1 and 0 <= dropout < 1")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> ClassifierConfig:
        return cls(**{**raw, "classes": tuple(raw["classes"]), "blocks": tuple(raw["blocks"])})


def _conv(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm1d(c_out),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    """conv-BN-ReLU, conv-BN, plus an (average-pooled, 1x1-projected) identity path."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(c_in, c_out, kernel, stride),
            nn.Conv1d(c_out, c_out, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm1d(c_out),
        )
        shortcut: list[nn.Module] = []
        if stride > 1:
            shortcut.append(nn.AvgPool1d(stride, ceil_mode=True))
        if c_in != c_out:
            shortcut += [nn.Conv1d(c_in, c_out, 1, bias=False), nn.BatchNorm1d(c_out)]
        self.shortcut = nn.Sequential(*shortcut)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        body = self.body(x)
        return torch.relu(body + self.shortcut(x)[..., : body.shape[-1]])


class ECGClassifier(nn.Module):
    """(batch, leads, samples) mV -> (batch, classes) logits."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        w, k = config.width, config.kernel_size
        self.stem = nn.Sequential(
            _conv(config.leads, w, k, stride=2),
            _conv(w, w, k),
            nn.MaxPool1d(3, stride=2, padding=1),
        )
        stages, c_in = [], w
        for i, n_blocks in enumerate(config.blocks):
            c_out = w * 2**i
            for j in range(n_blocks):
                stride = 2 if i > 0 and j == 0 else 1
                stages.append(ResidualBlock(c_in, c_out, k, stride))
                c_in = c_out
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(
            nn.BatchNorm1d(2 * c_in),
            nn.Dropout(config.dropout),
            nn.Linear(2 * c_in, len(config.classes)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.stages(self.stem(x))
        pooled = torch.cat([features.mean(dim=-1), features.amax(dim=-1)], dim=1)
        return self.head(pooled)


def save_classifier(path: str | Path, model: ECGClassifier, meta: dict | None = None) -> str:
    """Write the weights with their configuration (atomically); return the file's SHA-256."""
    payload = {
        "format": CLASSIFIER_FORMAT,
        "config": model.config.to_dict(),
        "state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": meta or {},
    }
    save_atomically(payload, path)
    return checkpoint_sha256(path)


def load_classifier(path: str | Path) -> tuple[ECGClassifier, dict]:
    """The classifier of a file written by :func:`save_classifier` (in eval mode) and its
    metadata."""
    try:
        payload = load_weights_only(path)
    except UnreadableTorchFile as exc:
        raise ValueError(f"{path} cannot be read as a classifier: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != CLASSIFIER_FORMAT:
        raise ValueError(f"{path} is not a {CLASSIFIER_FORMAT} checkpoint")
    model = ECGClassifier(ClassifierConfig.from_dict(payload["config"]))
    model.load_state_dict(payload["state"])
    return model.eval(), payload["meta"]
