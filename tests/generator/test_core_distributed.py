"""Real DistributedDataParallel training (world size 2, gloo on CPU) against one process."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from generator.core.checkpoint import load_checkpoint
from generator.core.config import GeneratorConfig
from generator.core.distributed import World, close_world
from generator.core.training import EcgDataset, TrainingOptions, train

CONFIG = GeneratorConfig.tiny(signal_length=64)


def dataset() -> EcgDataset:
    rng = np.random.default_rng(0)
    labels = rng.random((6, len(CONFIG.model.label_vocabulary))) < 0.1
    return EcgDataset(rng.normal(size=(6, 12, 64)), labels)


def options(out: Path, steps: int = 3, every: int = 0) -> TrainingOptions:
    return TrainingOptions(
        steps=steps,
        batch_size=4,
        lr=1e-3,
        checkpoint_every=every,
        out_dir=out,
        device="cpu",
        progress_bar=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rank_process(rank: int, port: int, root: Path, resume: Path) -> None:
    """One torchrun-like rank: a fresh run and a run resumed from a one-process checkpoint."""
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2",
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
    )  # fmt: skip
    torch.set_num_threads(1)
    try:
        fresh = train(dataset(), config=CONFIG, options=options(root / "fresh"))
        resumed = train(dataset(), options=options(root / "resumed"), resume=resume)
        assert fresh.world == World(rank, 2)
        torch.save(
            {"fresh": fresh.model.state_dict(), "resumed": resumed.model.state_dict(),
             "losses": fresh.losses},
            root / f"rank{rank}.pt",
        )  # fmt: skip
    finally:
        close_world()


@pytest.mark.timeout(240)
def test_two_ranks_match_one_process_with_the_same_global_batch(tmp_path):
    single = train(dataset(), config=CONFIG, options=options(tmp_path / "single", every=2))
    first, last = single.checkpoints
    mp.spawn(rank_process, args=(free_port(), tmp_path, first), nprocs=2)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    expected = single.model.state_dict()
    for run in ("fresh", "resumed"):
        for name, value in expected.items():
            torch.testing.assert_close(ranks[1][run][name], ranks[0][run][name], rtol=0, atol=0)
            torch.testing.assert_close(ranks[0][run][name], value, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ranks[0]["losses"], single.losses, rtol=1e-5)
    assert ranks[0]["losses"] == ranks[1]["losses"]  # the logged loss is the global mean
    # only rank 0 writes checkpoints; they resume like a one-process checkpoint
    assert [p.name for p in (tmp_path / "fresh").iterdir()] == ["checkpoint_00000003.pt"]
    assert load_checkpoint(tmp_path / "resumed" / last.name).step == 3


def test_a_global_batch_splits_into_equal_shares():
    assert [World(r, 3).share(6) for r in range(3)] == [slice(0, 2), slice(2, 4), slice(4, 6)]
    with pytest.raises(ValueError, match="not divisible by the world size 4"):
        World(0, 4).share(6)
    assert World().share(5) == slice(0, 5) and World().is_main and not World(1, 2).is_main
