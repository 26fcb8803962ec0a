"""Exact nearest-record search under a small time shift (pure torch, CPU or CUDA).

The distance between two 12-lead ECGs is that of their unit-normalised signals at the
best shift: ``d = sqrt(2 - 2 r)`` where ``r`` is the maximum normalised cross-correlation
over shifts of at most ``max_shift`` samples. Each lead is centred on its mean; a shifted
comparison sets the central window of the query (``max_shift`` samples cut at both ends)
against the same-length window of the record moved by the shift, each normalised by its
own norm. ``d`` is 0 for a copy (or a scaled copy), about sqrt(2) for unrelated signals
and at most 2. "Combined" uses one shift for all leads (the 12 leads as one vector);
"per lead" lets each lead pick its own shift.

With a tolerance of a few samples (±40 ms is 9 shifts at 100 Hz), one matrix product per
shift is exact and cheaper than FFT cross-correlation of every pair, so the search runs
as batched matrix products over blocks of records (float32; the nearest record's
distance is then recomputed in float64). Records can come as a :class:`RecordBlocks`
(from a memory-mapped file or the database), so that the memory a search needs grows
with the queries and one block, not with the number of records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch

EPS = 1e-12


@dataclass(frozen=True)
class Neighbours:
    """For each query: its two nearest records (combined distance) and the best shift."""

    index: np.ndarray  # (Q,) int, the nearest record
    distance: np.ndarray  # (Q,) float, distance to it
    second_distance: np.ndarray  # (Q,) float, distance to the next nearest record
    shift: np.ndarray  # (Q,) int, samples the record is moved by at the best match

    @property
    def ratio(self) -> np.ndarray:
        """Nearest-neighbour distance ratio d1 / d2 (1 when both are 0), at most 1: d1 is
        exact (float64) and d2 from the float32 search, so for two about equally near
        records d1 can exceed d2 by the float32 error."""
        second = self.second_distance
        return np.minimum(np.where(second > 0, self.distance / np.maximum(second, EPS), 1.0), 1.0)


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def check_batch(signals: object, what: str, *, min_count: int = 1) -> np.ndarray:
    """``signals`` as float32 (n, leads, samples), or a ValueError naming ``what``."""
    array = np.asarray(signals)
    if array.ndim != 3:
        raise ValueError(f"{what}: expected an array (ECGs, leads, samples), got {array.shape}")
    if array.shape[0] < min_count:
        raise ValueError(f"{what}: needs at least {min_count} ECG(s), got {array.shape[0]}")
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{what}: samples are not numeric ({array.dtype})")
    finite = np.isfinite(array).reshape(array.shape[0], -1).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)[:5].tolist()
        raise ValueError(f"{what}: ECG(s) at index {bad} contain NaN/inf samples")
    return array.astype(np.float32, copy=False)


def _centred(batch: torch.Tensor) -> torch.Tensor:
    return batch - batch.mean(dim=-1, keepdim=True)


def _unit_windows(batch: torch.Tensor, start: int, length: int) -> torch.Tensor:
    """The window ``[start, start + length)`` of every ECG, flattened and unit-normalised."""
    flat = batch[:, :, start : start + length].reshape(batch.shape[0], -1)
    return flat / flat.norm(dim=1, keepdim=True).clamp_min(EPS)


@dataclass(frozen=True)
class RecordBlocks:
    """A set of ``count`` records read a block at a time, so that a search holds one block
    (not the whole set) in memory: ``blocks()`` yields the records in order as consecutive
    (n, leads, samples) arrays, ``take(indices)`` returns the named records in that order."""

    count: int
    blocks: Callable[[], Iterable[np.ndarray]]
    take: Callable[[np.ndarray], np.ndarray]

    @classmethod
    def of_array(cls, array: np.ndarray, block_size: int = 2048) -> RecordBlocks:
        """Blocks of ``block_size`` rows of an array (a ``np.memmap`` is read block by block)."""
        if block_size < 1:
            raise ValueError(f"block size must be at least 1, got {block_size}")
        n = len(array)
        return cls(
            count=n,
            blocks=lambda: (np.asarray(array[a : a + block_size]) for a in range(0, n, block_size)),
            take=lambda indices: np.asarray(array[np.asarray(indices, dtype=np.int64)]),
        )


def nearest_records(
    queries: np.ndarray,
    records: np.ndarray | RecordBlocks,
    max_shift: int,
    *,
    device: torch.device | None = None,
    chunk: int = 2048,
) -> Neighbours:
    """Exact two nearest ``records`` of every query by the combined shifted distance.

    ``records`` is an array or a :class:`RecordBlocks` (then searched block by block, as
    it yields them; ``chunk`` applies to arrays). Any blocking gives the same answer.
    """
    if not isinstance(records, RecordBlocks):
        records = RecordBlocks.of_array(check_batch(records, "records", min_count=2), chunk)
    queries = check_batch(queries, "queries")
    if records.count < 2:
        raise ValueError(f"records: needs at least 2 ECG(s), got {records.count}")
    n_samples = queries.shape[2]
    if not 0 <= max_shift < n_samples // 4:
        raise ValueError(f"max_shift {max_shift} must lie in 0..{n_samples // 4 - 1} samples")
    search = _TopTwo(queries, max_shift, device or default_device())
    for block in records.blocks():
        search.add(check_batch(block, f"records from {search.seen}"))
    if search.seen != records.count:
        raise ValueError(f"records: expected {records.count} ECGs, the blocks held {search.seen}")
    index, shift, second = search.found()
    distance = np.concatenate(
        [
            _exact_distance(
                queries[a : a + chunk],
                check_batch(records.take(index[a : a + chunk]), "records"),
                shift[a : a + chunk],
                max_shift,
            )
            for a in range(0, len(queries), chunk)
        ]
    )
    return Neighbours(index=index, distance=distance, second_distance=second, shift=shift)


class _TopTwo:
    """The running two nearest records (and their shifts) of each query over blocks."""

    def __init__(self, queries: np.ndarray, max_shift: int, device: torch.device) -> None:
        self.max_shift, self.device, self.seen = max_shift, device, 0
        self.shape = queries.shape[1:]
        self.length = queries.shape[2] - 2 * max_shift
        q = _centred(torch.from_numpy(queries).to(device))
        self.q = _unit_windows(q, max_shift, self.length)  # (Q, leads * length)
        n = len(queries)
        self.best = torch.full((n, 2), -2.0, device=device)  # correlations, best first
        self.index = torch.zeros((n, 2), dtype=torch.long, device=device)
        self.shift = torch.zeros((n, 2), dtype=torch.long, device=device)

    def add(self, block: np.ndarray) -> None:
        if block.shape[1:] != self.shape:
            raise ValueError(
                f"queries {self.shape} and records {block.shape[1:]} differ in leads/samples"
            )
        batch = _centred(torch.from_numpy(block).to(self.device))
        m = self.max_shift
        corr = torch.stack(
            [self.q @ _unit_windows(batch, m + shift, self.length).T for shift in range(-m, m + 1)]
        )  # (shifts, Q, block)
        peak, shift_at = corr.max(dim=0)  # (Q, block)
        n = len(self.q)
        ids = torch.arange(self.seen, self.seen + len(block), device=self.device)
        merged = torch.cat([self.best, peak], dim=1)
        merged_ids = torch.cat([self.index, ids.expand(n, -1)], dim=1)
        merged_shift = torch.cat([self.shift, shift_at - m], dim=1)
        self.best, where = merged.topk(2, dim=1)
        self.index = merged_ids.gather(1, where)
        self.shift = merged_shift.gather(1, where)
        self.seen += len(block)

    def found(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest index, its shift, and the distance to the second nearest (float32)."""
        second = torch.sqrt((2 - 2 * self.best[:, 1]).clamp_min(0))
        return (
            self.index[:, 0].cpu().numpy(),
            self.shift[:, 0].cpu().numpy(),
            second.cpu().numpy().astype(np.float64),
        )


def _exact_distance(
    queries: np.ndarray, matches: np.ndarray, shift: np.ndarray, max_shift: int
) -> np.ndarray:
    """The combined distance of each query to its match at the found shift, in float64
    (the float32 search alone leaves an error of about 0.005 near 0)."""
    q = _centred(torch.from_numpy(queries).double())
    m = _centred(torch.from_numpy(matches).double())
    length = queries.shape[2] - 2 * max_shift
    q = _unit_windows(q, max_shift, length)
    starts = torch.from_numpy(max_shift + shift).long()
    window = starts[:, None] + torch.arange(length)
    m = m.gather(2, window[:, None, :].expand(-1, m.shape[1], -1)).reshape(len(m), -1)
    m = m / m.norm(dim=1, keepdim=True).clamp_min(EPS)
    return torch.sqrt((2 - 2 * (q * m).sum(dim=1)).clamp_min(0)).numpy()


def lead_distances(query: np.ndarray, record: np.ndarray, max_shift: int) -> np.ndarray:
    """Per-lead distance of one query to one record, each lead at its own best shift."""
    pair = check_batch(np.stack([query, record]), "pair")
    signals = _centred(torch.from_numpy(pair).double())
    length = pair.shape[2] - 2 * max_shift

    def unit(x: torch.Tensor) -> torch.Tensor:
        return x / x.norm(dim=-1, keepdim=True).clamp_min(EPS)

    q = unit(signals[0, :, max_shift : max_shift + length])
    corr = torch.stack(
        [
            (q * unit(signals[1, :, max_shift + s : max_shift + s + length])).sum(dim=-1)
            for s in range(-max_shift, max_shift + 1)
        ]
    )
    return torch.sqrt((2 - 2 * corr.max(dim=0).values).clamp_min(0)).numpy()
