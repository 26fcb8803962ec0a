"""SHA-256 of files (checkpoints, supplied record files, imported arrays) for provenance."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from typing import BinaryIO

# Blocks read into one reused buffer: small enough to stay in cache while hashed (a fresh
# 16 MiB bytes object per read costs page faults: 0.26 s vs 0.18 s for a paper-size
# checkpoint), few enough that a hash in a thread beside a load rarely waits for the GIL.
BLOCK_BYTES = 8 << 20
# A file unchanged for this long before it was hashed has settled: a later write would
# change its modification or change time (git trusts its index on the same rule).
SETTLED_SECONDS = 2.0

_digests: dict[str, tuple[tuple[int, ...], str]] = {}
_digests_lock = threading.Lock()


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in blocks of up to 8 MiB (not memory-mapped: a
    file truncated while it is hashed would kill the process with SIGBUS)."""
    with open(path, "rb", buffering=0) as handle:
        return _sha256_of(handle)


def remembered_file_sha256(path: str | Path) -> str:
    """:func:`file_sha256`, hashed once per process for a file that stays the same.

    A digest is reused while the file keeps its device, inode, size and modification and
    change times (the change time cannot be set back without changing the clock), read from
    the opened file (on NFS, opening revalidates cached attributes), and only if the file
    had settled, unchanged for :data:`SETTLED_SECONDS`, when it was hashed and did not
    change while it was: a write within the timestamps' resolution of the hash could
    otherwise go unnoticed.
    """
    key = os.path.realpath(path)
    with open(key, "rb", buffering=0) as handle:
        identity = _identity(handle)
        with _digests_lock:
            known = _digests.get(key)
        if known is not None and known[0] == identity:
            return known[1]
        started = time.time()
        digest = _sha256_of(handle)
        settled = max(identity[3], identity[4]) <= (started - SETTLED_SECONDS) * 1e9
        if settled and _identity(handle) == identity:
            with _digests_lock:
                _digests[key] = (identity, digest)
    return digest


def forget_remembered_digests() -> None:
    """Drop every digest :func:`remembered_file_sha256` kept, so each file is hashed again."""
    with _digests_lock:
        _digests.clear()


def _sha256_of(handle: BinaryIO) -> str:
    """SHA-256 of an open file's bytes from its start, read into one reused buffer."""
    digest = hashlib.sha256()
    size = os.fstat(handle.fileno()).st_size
    block = bytearray(max(1, min(BLOCK_BYTES, size)))  # a small file needs no 8 MiB
    view = memoryview(block)
    handle.seek(0)
    while read := handle.readinto(block):
        digest.update(view[:read])
    return digest.hexdigest()


def file_identity(path: str | Path) -> tuple[int, ...]:
    """What changes when the file at ``path`` is replaced or written: device, inode, size,
    modification and change time."""
    return _identity_of(os.stat(path))


def _identity(handle: BinaryIO) -> tuple[int, ...]:
    """:func:`file_identity` of an open file."""
    return _identity_of(os.fstat(handle.fileno()))


def _identity_of(status: os.stat_result) -> tuple[int, ...]:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def _new_lock_in_child() -> None:
    global _digests_lock
    _digests_lock = threading.Lock()  # a fork while another thread held it leaves it held


os.register_at_fork(after_in_child=_new_lock_in_child)
