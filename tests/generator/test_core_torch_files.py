"""Torch files: a failed save leaves the previous file and no temporary file; a file that
cannot be loaded is refused saying why."""

from __future__ import annotations

import datetime
import stat

import pytest
import torch

from generator.core.checkpoint import CheckpointError, load_checkpoint
from generator.core.classifier import (
    ClassifierConfig,
    ECGClassifier,
    load_classifier,
    save_classifier,
)
from generator.core.torch_files import (
    FILE_MODE,
    UnreadableTorchFile,
    load_weights_only,
    save_atomically,
)
from tests.generator.checkpoints import tiny_checkpoint


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


def _unreadable(path) -> str:
    with pytest.raises(UnreadableTorchFile) as refused:
        load_weights_only(path)
    return str(refused.value)


def test_unreadable_files_say_what_is_wrong_with_them(tmp_path):
    saved = tmp_path / "good.pt"
    torch.save({"w": torch.arange(1000.0)}, saved)
    data = saved.read_bytes()
    cases = {
        "empty.pt": (b"", "the file is empty"),
        "cut.pt": (data[: len(data) // 2], "cut short or damaged"),
        "text.pt": (b"epoch 3 loss 0.12\n", "not a torch file"),
    }
    for name, (content, reason) in cases.items():
        (tmp_path / name).write_bytes(content)
        assert reason in _unreadable(tmp_path / name), name
    assert "miniz" not in _unreadable(tmp_path / "cut.pt")
    foreign = tmp_path / "foreign.pt"
    torch.save({"when": datetime.date(2026, 1, 1)}, foreign)
    assert "objects other than tensors and plain values" in _unreadable(foreign)
    assert "datetime.date" in _unreadable(foreign)
    assert load_weights_only(saved)["w"].shape == (1000,)


def test_a_truncated_checkpoint_or_classifier_is_refused_naming_the_file_and_the_cause(tmp_path):
    path = tiny_checkpoint(tmp_path / "model.pt")
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match=r"model.pt cannot be read .*cut short or damaged"):
        load_checkpoint(path)
    clf = tmp_path / "clf.pt"
    save_classifier(clf, ECGClassifier(ClassifierConfig(width=8, blocks=(1,))))
    clf.write_bytes(clf.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"clf.pt cannot be read as a classifier: .*cut short"):
        load_classifier(clf)


def test_a_missing_file_is_an_os_error_not_an_unreadable_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_weights_only(tmp_path / "gone.pt")
