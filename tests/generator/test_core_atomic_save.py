"""Atomic torch saves: a failed save leaves the previous file and no temporary file."""

from __future__ import annotations

import stat

import pytest
import torch

from generator.core.atomic_save import FILE_MODE, save_atomically
from generator.core.classifier import ClassifierConfig, ECGClassifier, save_classifier


def test_a_saved_payload_replaces_the_file_and_is_readable_by_other_users(tmp_path):
    path = tmp_path / "deep" / "weights.pt"
    save_atomically({"w": torch.arange(3.0)}, path)
    save_atomically({"w": torch.arange(4.0)}, path)
    assert torch.load(path, weights_only=True)["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE
    assert [p.name for p in path.parent.iterdir()] == ["weights.pt"]


def test_a_failed_save_keeps_the_old_file_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "weights.pt"
    save_atomically({"w": torch.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(AttributeError, match="local object"):
        save_atomically({"w": torch.zeros(2), "hook": lambda: None}, path)  # cannot pickle
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["weights.pt"]


def test_a_classifier_whose_metadata_cannot_be_saved_leaves_nothing_behind(tmp_path):
    model = ECGClassifier(ClassifierConfig(width=8, blocks=(1,)))
    with pytest.raises(AttributeError):
        save_classifier(tmp_path / "clf.pt", model, {"callback": lambda: None})
    assert list(tmp_path.iterdir()) == []
