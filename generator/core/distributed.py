"""torch.distributed for training: the process group torchrun describes, batch shares, means."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (one process: rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes checkpoints and logs."""
        return self.rank == 0

    def share(self, global_batch: int) -> slice:
        """The rows of a global batch this rank trains on (equal, contiguous shares)."""
        if global_batch % self.world_size:
            raise ValueError(
                f"batch size {global_batch} is not divisible by the world size {self.world_size}"
            )
        size = global_batch // self.world_size
        return slice(self.rank * size, (self.rank + 1) * size)

    def mean(self, value: torch.Tensor) -> float:
        """Mean of a scalar over all ranks (the value itself in one process)."""
        if self.world_size == 1:
            return float(value.detach())
        total = value.detach().float().reshape(1).clone()
        dist.all_reduce(total)
        return float(total) / self.world_size


def init_world(device: torch.device) -> tuple[World, torch.device]:
    """Join the process group torchrun's environment names (NCCL on CUDA, gloo on CPU).

    Without ``WORLD_SIZE`` > 1 nothing is initialised. On CUDA each process takes the GPU
    of its ``LOCAL_RANK``; returns this process's place and device.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return World(), device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return World(dist.get_rank(), dist.get_world_size()), device


def close_world() -> None:
    """Leave the process group, if one was joined."""
    if dist.is_initialized():
        dist.destroy_process_group()
