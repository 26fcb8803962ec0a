"""Torch payload files: written so that no reader ever finds half a file, and read with
errors that say what is wrong with the file (pure)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from pathlib import Path

import torch

# What a saved file is readable as, whoever writes it (mkstemp's 0600 would hide it from a
# Celery worker or web process running as another user).
FILE_MODE = 0o644
# torch.save writes a zip archive; torch before 1.6 wrote a bare pickle (protocol 2+).
ZIP_MAGIC = b"PK\x03\x04"
PICKLE_MAGIC = b"\x80"
UNPICKLER_ERROR = "WeightsUnpickler error:"


class UnreadableTorchFile(ValueError):
    """A file torch cannot load; the message says why, in words."""


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


def load_weights_only(path: str | Path) -> object:
    """``torch.load(path, weights_only=True)`` onto the CPU; a file torch cannot load raises
    :class:`UnreadableTorchFile` saying why (empty, cut short, not a torch file, objects
    other than tensors and plain values). When the file itself cannot be opened or read,
    an ``OSError`` says so."""
    try:
        return torch.load(Path(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds, OSError too, for a corrupt file
        reason = _why_unreadable(Path(path), exc)  # OSError when the file cannot be read
        raise UnreadableTorchFile(reason) from exc


def _why_unreadable(path: Path, exc: Exception) -> str:
    with open(path, "rb") as stream:
        head = stream.read(len(ZIP_MAGIC))
    if not head:
        return "the file is empty"
    if head == ZIP_MAGIC and not zipfile.is_zipfile(path):
        return (
            "the file is cut short or damaged: it begins as a torch zip archive but the "
            "archive's directory at its end is missing (an interrupted copy or download?)"
        )
    if head != ZIP_MAGIC and not head.startswith(PICKLE_MAGIC):
        return "it is not a torch file (neither torch's zip archive nor a pickle)"
    message = " ".join(str(exc).split())
    if UNPICKLER_ERROR in message:  # weights_only refused an object
        detail = message.split(UNPICKLER_ERROR, 1)[1].strip().split(". ")[0]
        return f"it holds objects other than tensors and plain values ({detail})"
    first_sentence = message.split(". ")[0][:200]
    return f"torch cannot read it ({type(exc).__name__}: {first_sentence})"
