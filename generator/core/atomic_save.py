"""Writing a torch payload so that no reader ever finds half a file (pure)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import torch

# What a saved file is readable as, whoever writes it (mkstemp's 0600 would hide it from a
# Celery worker or web process running as another user).
FILE_MODE = 0o644


def save_atomically(payload: object, path: str | Path) -> None:
    """``torch.save`` ``payload`` to ``path`` through a temporary file in the same folder,
    then replace ``path`` in one step. On any failure (a payload that cannot be pickled, a
    full disk) the error propagates, a file already at ``path`` is left as it was and no
    temporary file remains."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(payload, stream)
        os.chmod(partial, FILE_MODE)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise
