"""Label conditioning of SSSD-ECG: multi-hot encoding and the two label-embedding variants."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor, nn

from generator.core import meta_device


class LabelError(ValueError):
    """A label set that does not fit the model's vocabulary."""


def encode_label_sets(label_sets: Sequence[Sequence[str]], vocabulary: Sequence[str]) -> np.ndarray:
    """Multi-hot matrix (N, K) float32 of label sets over ``vocabulary``; unknown codes raise."""
    index = {code: i for i, code in enumerate(vocabulary)}
    encoded = np.zeros((len(label_sets), len(vocabulary)), dtype=np.float32)
    for row, codes in enumerate(label_sets):
        if isinstance(codes, str):
            raise LabelError(f"label set {row} is a string, expected a list of codes: {codes!r}")
        for code in codes:
            if code not in index:
                raise LabelError(f"label {code!r} (set {row}) is not in the model's vocabulary")
            encoded[row, index[code]] = 1.0
    return encoded


class MultiHotLabelEmbedding(nn.Module):
    """SSSD-ECG: multi-hot labels times an embedding matrix; absent labels contribute nothing."""

    def __init__(self, num_labels: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(meta_device.randn(num_labels, dim))

    def forward(self, labels: Tensor) -> Tensor:
        """labels: (B, K) multi-hot -> (B, dim)."""
        return labels.to(self.weight.dtype) @ self.weight


class TwoStateLabelEmbedding(nn.Module):
    """SSSD-ECG-nle: one embedding per label and state, mixed by learned per-label weights.

    Label k contributes ``state_embeddings[k, present]``; the K embeddings are combined by a
    1x1 convolution over the label axis (weights plus bias), so absence carries information.
    ``freeze_present_state`` reproduces the released code, whose ``padding_idx=-1`` pinned the
    present state at zero and never trained it.
    """

    def __init__(self, num_labels: int, dim: int, *, freeze_present_state: bool = False) -> None:
        super().__init__()
        self.freeze_present_state = freeze_present_state
        states = meta_device.randn(num_labels, 2, dim)
        if freeze_present_state:
            states[:, 1] = 0.0
        self.state_embeddings = nn.Parameter(states)
        self.combine = nn.Conv1d(num_labels, 1, kernel_size=1)

    def forward(self, labels: Tensor) -> Tensor:
        """labels: (B, K) multi-hot -> (B, dim)."""
        states = self.state_embeddings
        if self.freeze_present_state:
            states = torch.stack([states[:, 0], torch.zeros_like(states[:, 1])], dim=1)
        present = labels.to(states.dtype)[..., None]  # (B, K, 1)
        per_label = states[:, 0] * (1 - present) + states[:, 1] * present  # (B, K, dim)
        return self.combine(per_label)[:, 0]


def build_label_embedding(
    variant: str, num_labels: int, dim: int, *, freeze_present_state: bool = False
) -> nn.Module:
    """The label embedding module of a configuration's ``label_variant``."""
    if variant == "sssd":
        return MultiHotLabelEmbedding(num_labels, dim)
    if variant == "nle":
        return TwoStateLabelEmbedding(num_labels, dim, freeze_present_state=freeze_present_state)
    raise LabelError(f"unknown label variant {variant!r}; expected 'sssd' or 'nle'")
