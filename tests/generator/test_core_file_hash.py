"""File digests for provenance, and the per-process memory of a settled file's digest."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from generator.core import file_hash
from generator.core.file_hash import file_sha256, remembered_file_sha256

# Settling time in these tests: over a second, so that even a file system with one-second
# timestamps cannot make a file written moments ago look settled.
SETTLE = 1.1


@pytest.fixture
def hashes(monkeypatch):
    """Count the files actually read, with a short settling time."""
    monkeypatch.setattr(file_hash, "SETTLED_SECONDS", SETTLE)
    file_hash.forget_remembered_digests()
    read: list[str] = []
    original = file_hash._sha256_of

    def counting(handle):
        read.append(handle.name)
        return original(handle)

    monkeypatch.setattr(file_hash, "_sha256_of", counting)
    yield read
    file_hash.forget_remembered_digests()


def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "f.bin"
    content = os.urandom((file_hash.BLOCK_BYTES // 4) * 5 + 7)  # blocks plus a remainder
    path.write_bytes(content)
    assert file_sha256(path) == hashlib.sha256(content).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert file_sha256(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()


def test_a_settled_file_is_hashed_once_and_again_when_it_changes(tmp_path, hashes):
    path = tmp_path / "model.pt"
    path.write_bytes(b"a" * 1000)
    time.sleep(SETTLE + 0.2)
    assert remembered_file_sha256(path) == hashlib.sha256(b"a" * 1000).hexdigest()
    assert remembered_file_sha256(tmp_path / "." / "model.pt") == remembered_file_sha256(path)
    assert len(hashes) == 1
    path.write_bytes(b"b" * 1000)  # same size, written in place
    assert remembered_file_sha256(path) == hashlib.sha256(b"b" * 1000).hexdigest()
    replacement = tmp_path / "new.pt"
    replacement.write_bytes(b"c" * 1000)
    os.replace(replacement, path)  # a new file under the old name
    assert remembered_file_sha256(path) == hashlib.sha256(b"c" * 1000).hexdigest()
    assert len(hashes) == 3


def test_a_file_written_moments_ago_is_hashed_every_time(tmp_path, hashes):
    path = tmp_path / "model.pt"
    path.write_bytes(b"fresh")
    for _ in range(3):
        assert remembered_file_sha256(path) == hashlib.sha256(b"fresh").hexdigest()
    assert len(hashes) == 3
    time.sleep(SETTLE + 0.2)
    remembered_file_sha256(path)
    remembered_file_sha256(path)
    assert len(hashes) == 4  # settled now: remembered after one more read


def test_a_file_written_while_it_is_hashed_is_not_remembered(tmp_path, hashes, monkeypatch):
    path = tmp_path / "model.pt"
    path.write_bytes(b"a" * 1000)
    time.sleep(SETTLE + 0.2)
    counting = file_hash._sha256_of

    def written_meanwhile(handle):
        digest = counting(handle)
        with open(path, "r+b") as other:  # same size, same inode: only the times change
            other.write(b"b")
        return digest

    monkeypatch.setattr(file_hash, "_sha256_of", written_meanwhile)
    remembered_file_sha256(path)
    monkeypatch.setattr(file_hash, "_sha256_of", counting)
    assert remembered_file_sha256(path) == hashlib.sha256(b"b" + b"a" * 999).hexdigest()
    assert len(hashes) == 2
