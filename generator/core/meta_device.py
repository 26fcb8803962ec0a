"""Networks laid out on the meta device (shapes only) and filled with stored tensors.

Loading a checkpoint needs the module tree, not an initialisation that the stored tensors
then overwrite. Random draws and arithmetic on meta tensors run torch's Python reference
ops, whose first use in a process imports ``torch._dynamo`` and sympy (about 1 s, several
times the rest of a load), so constructors draw through :func:`randn`, which draws nothing
there; :func:`filled_copy` then copies the tree around the stored tensors.
"""

from __future__ import annotations

import copy
import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import Tensor, nn

_IMMUTABLE = (bool, int, float, complex, str, bytes, type(None), torch.dtype, torch.device)


class StateMismatch(ValueError):
    """A state whose names or shapes do not fit the module tree it is meant to fill."""


def on_meta_device() -> bool:
    """Whether tensors are being created on the meta device (``with torch.device("meta")``)."""
    return torch.get_default_device().type == "meta"


def randn(*shape: int, dtype: torch.dtype | None = None) -> Tensor:
    """``torch.randn`` on the default device; an uninitialised tensor on the meta device."""
    if on_meta_device():
        return torch.empty(*shape, dtype=dtype)
    return torch.randn(*shape, dtype=dtype)


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused.

    Building a tree of a thousand modules allocates enough objects to trigger a full
    collection, which scans the whole interpreter heap (~70 ms after importing torch) and
    finds nothing to free: every object made here stays alive. The switch is process-wide:
    the collector is off for every thread meanwhile, and back on when the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def filled_copy(skeleton: nn.Module, state: Mapping[str, Tensor]) -> nn.Module:
    """A new module tree shaped like ``skeleton`` holding ``state``'s tensors.

    Every module object is new, so the skeleton can be filled again. Each parameter and
    persistent buffer takes the state entry of its name in the skeleton's dtype, contiguous
    (as a copying ``load_state_dict`` stores it); parameters keep the skeleton's
    ``requires_grad``, and a module or parameter the skeleton shares between places is
    shared in the copy too. Other attributes are deep-copied. Non-persistent buffers, and
    entries that do not fit, stay the skeleton's meta tensors; :class:`StateMismatch`
    names every missing, unexpected and misshapen entry.
    """
    remaining = dict(state)
    missing: list[str] = []
    misshapen: list[str] = []
    copies: dict[int, object] = {}  # deepcopy's memo: shared objects stay shared

    def take(name: str, like: Tensor, parameter: bool) -> Tensor:
        value = remaining.pop(name, None)
        if id(like) in copies:  # a tied parameter: its other name's entry made it already
            return copies[id(like)]  # type: ignore[return-value]
        if value is None:
            missing.append(name)
            return like
        if not isinstance(value, Tensor) or value.shape != like.shape:
            shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            misshapen.append(f"{name} is {shape} in the state, {tuple(like.shape)} in the model")
            return like
        value = value.to(like.dtype).contiguous()
        made = nn.Parameter(value, requires_grad=like.requires_grad) if parameter else value
        copies[id(like)] = made
        return made

    def copy_module(module: nn.Module, prefix: str) -> nn.Module:
        if id(module) in copies:  # shared: the state lists its tensors under this name too
            for name in module.state_dict(prefix=prefix, keep_vars=True):
                remaining.pop(name, None)
            return copies[id(module)]  # type: ignore[return-value]
        new = object.__new__(type(module))
        copies[id(module)] = new
        transient = module._non_persistent_buffers_set
        attributes = {}
        for key, value in module.__dict__.items():
            if key == "_parameters":
                value = {
                    n: None if p is None else take(prefix + n, p, parameter=True)
                    for n, p in value.items()
                }
            elif key == "_buffers":
                value = {
                    n: b if b is None or n in transient else take(prefix + n, b, parameter=False)
                    for n, b in value.items()
                }
            elif key == "_modules":
                value = {
                    n: None if m is None else copy_module(m, f"{prefix}{n}.")
                    for n, m in value.items()
                }
            else:
                value = _copied(value, copies)
            attributes[key] = value
        new.__dict__.update(attributes)
        return new

    with without_cyclic_gc():
        filled = copy_module(skeleton, "")
    if missing or remaining or misshapen:
        problems = [
            *([f"missing {', '.join(missing)}"] if missing else []),
            *([f"unexpected {', '.join(map(str, remaining))}"] if remaining else []),
            *misshapen,
        ]
        raise StateMismatch("; ".join(problems))
    return filled


def _copied(value: object, memo: dict[int, object]) -> object:
    """``copy.deepcopy(value, memo)``, with shortcuts for what module attributes mostly are."""
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, tuple) and all(isinstance(item, _IMMUTABLE) for item in value):
        return value
    if isinstance(value, (dict, set, list)) and not value:
        return value.copy()  # the empty hook dictionaries of every module (type kept)
    return copy.deepcopy(value, memo)
