"""Exponential moving average of a model's trained weights (optional during training)."""

from __future__ import annotations

import torch
from torch import nn


class WeightAverage:
    """``average = decay * average + (1 - decay) * weight`` after every optimiser step.

    Trained parameters are averaged; every other state entry (fixed S4 tensors, buffers)
    is copied, so :meth:`state_dict` loads into the model like its own state.
    """

    def __init__(self, model: nn.Module, decay: float, state: dict | None = None) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"the EMA decay must lie in (0, 1), got {decay}")
        self.decay = decay
        self.trained = {name for name, p in model.named_parameters() if p.requires_grad}
        own = model.state_dict()
        source = own if state is None else state
        self.average = {name: source[name].detach().to(own[name].device, copy=True) for name in own}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold the model's current weights into the average."""
        for name, value in model.state_dict().items():
            if name in self.trained:
                self.average[name].lerp_(value, 1.0 - self.decay)
            else:
                self.average[name].copy_(value)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The averaged weights, keyed as the model's state."""
        return self.average
