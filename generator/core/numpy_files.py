"""Recognising NumPy's file formats before reading them (pure).

``np.load`` with ``allow_pickle=False`` reports any file it does not recognise as
"pickled data", which misleads about a text file, a CSV or a torch file named ``.npy``;
the check here names what the file lacks instead.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

NPY_MAGIC = b"\x93NUMPY"
# A zip archive begins with a local file header, or the end record when it is empty.
NPZ_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


def numpy_format_problem(path: Path) -> str | None:
    """Why ``path`` (``.npy`` or ``.npz``, by its suffix) is not in that format, or None
    when it begins as one (its content may still be damaged further on)."""
    with open(path, "rb") as stream:
        head = stream.read(len(NPY_MAGIC))
    if not head:
        return "the file is empty"
    if path.suffix == ".npy" and not head.startswith(NPY_MAGIC):
        return "not a NumPy .npy file (it lacks the format's magic bytes; write it with numpy.save)"
    if path.suffix == ".npz" and not head.startswith(NPZ_MAGICS):
        return "not a NumPy .npz file (not a zip archive; write it with numpy.savez)"
    if path.suffix == ".npz" and not zipfile.is_zipfile(path):
        return (
            "the file is cut short or damaged: it begins as a zip archive but the archive's "
            "directory at its end is missing (an interrupted copy or write?)"
        )
    return _short_npy_problem(path) if path.suffix == ".npy" else None


def read_npy_header(stream: BinaryIO) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran order, dtype) of the .npy data at ``stream``'s position, leaving it
    at the first sample; ValueError for a damaged header."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(stream)
    return np.lib.format.read_array_header_2_0(stream)


def _short_npy_problem(path: Path) -> str | None:
    """Whether a .npy file holds fewer bytes than its header describes."""
    try:
        with open(path, "rb") as stream:
            shape, _, dtype = read_npy_header(stream)
            data_start = stream.tell()
    except ValueError as exc:  # a damaged header: let np.load report it
        return f"its .npy header cannot be read ({exc})"
    if dtype.hasobject:
        return None  # sizes unknown; np.load refuses object arrays anyway
    expected = math.prod(shape) * dtype.itemsize
    held = path.stat().st_size - data_start
    if held < expected:
        return (
            f"the file is cut short: its header describes {shape} {dtype} samples "
            f"({expected} bytes) but it holds {held} bytes (an interrupted copy or write?)"
        )
    return None
