"""The interface every ECG generator backend implements, and the backend registry.

A backend is a module in this package that defines ``BACKEND_NAME`` and
``create_backend(**options)`` (and ``CONDITIONAL = False`` when it ignores labels);
adding a generator means adding one module.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Protocol, runtime_checkable

import numpy as np

_NOT_BACKENDS = frozenset({"base"})


@runtime_checkable
class GeneratorBackend(Protocol):
    """Produces 12-lead ECGs (N, 12, L) float32 mV in standard lead order."""

    name: str
    sampling_rate: int

    def generate(
        self, label_sets: list[list[str]], seed: int, *, start_index: int = 0
    ) -> np.ndarray:
        """One ECG per label set; sample i is reproducible from (seed, start_index + i)."""
        ...

    def provenance(self) -> dict[str, Any]:
        """What produced the ECGs: generator name, checkpoint hash, sampler, steps..."""
        ...


class BackendError(ValueError):
    """An unknown backend or options a backend cannot use."""


def available_backends() -> dict[str, str]:
    """Backend name -> module name of every backend module in this package."""
    package = importlib.import_module("generator.backends")
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in _NOT_BACKENDS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"generator.backends.{info.name}")
        name = getattr(module, "BACKEND_NAME", None)
        if name is not None:
            found[name] = module.__name__
    return found


def backend_is_conditional(name: str) -> bool:
    """Whether backend ``name`` uses label sets (a module sets ``CONDITIONAL = False`` if not)."""
    return getattr(importlib.import_module(available_backends()[name]), "CONDITIONAL", True)


def get_backend(name: str, **options: Any) -> GeneratorBackend:
    """Instantiate the backend called ``name`` with its options."""
    modules = available_backends()
    if name not in modules:
        raise BackendError(f"unknown generator backend {name!r}; available: {sorted(modules)}")
    backend = importlib.import_module(modules[name]).create_backend(**options)
    return backend
