"""Networks laid out on the meta device and filled with stored tensors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrizations

from generator.core.config import GeneratorConfig
from generator.core.meta_device import StateMismatch, filled_copy, randn, without_cyclic_gc
from generator.core.network import SSSDECG, WeightNorm, _weight_normed_conv

ROOT = Path(__file__).resolve().parents[2]


class Small(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 2)
        self.frozen = nn.Parameter(torch.zeros(2), requires_grad=False)
        self.register_buffer("scale", torch.ones(2, dtype=torch.float64))
        self.register_buffer("scratch", torch.zeros(4), persistent=False)
        self.calls: list[str] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) * self.scale + self.frozen


def _skeleton() -> Small:
    with torch.device("meta"):
        return Small()


def _state() -> dict[str, torch.Tensor]:
    return {
        "linear.weight": torch.arange(6.0).reshape(2, 3),
        "linear.bias": torch.tensor([1.0, -1.0]),
        "frozen": torch.tensor([0.5, 0.25]),
        "scale": torch.tensor([2, 3], dtype=torch.int64),
    }


def test_a_filled_copy_holds_the_state_in_new_modules_and_leaves_the_skeleton_reusable():
    skeleton = _skeleton()
    skeleton.linear.register_forward_hook(lambda module, args, out: out + 100)
    first = filled_copy(skeleton, _state())
    second = filled_copy(skeleton, _state())
    assert first is not skeleton and first.linear is not second.linear
    assert all(t.is_meta for t in skeleton.state_dict().values())  # untouched
    assert torch.equal(first.linear.weight, torch.arange(6.0).reshape(2, 3))
    assert first.scale.dtype == torch.float64 and torch.equal(first.scale, torch.tensor([2.0, 3]))
    assert first.scratch.is_meta  # not in a state dict: the caller reports it
    requires_grad = {n: p.requires_grad for n, p in first.named_parameters()}
    assert requires_grad == {"frozen": False, "linear.weight": True, "linear.bias": True}
    x = torch.tensor([[1.0, 0.0, 2.0]])
    # (x W^T + b + 100 from the hook) * scale + frozen = ([4, 13] + [1, -1] + 100) * [2, 3] + ...
    expected = torch.tensor([[210.5, 336.25]], dtype=torch.float64)
    assert torch.equal(first(x), expected)  # the hook was copied with the module
    first.calls.append("only the first")
    assert second.calls == [] and skeleton.calls == []
    first.linear.register_forward_hook(lambda module, args, out: out * 0)
    assert torch.equal(second(x), expected)  # hook dictionaries are not shared


def test_every_problem_of_a_state_is_named():
    state = _state()
    del state["frozen"]
    state["linear.bias"] = torch.zeros(3)
    state["extra.weight"] = torch.zeros(1)
    with pytest.raises(StateMismatch) as caught:
        filled_copy(_skeleton(), state)
    message = str(caught.value)
    assert "missing frozen" in message and "unexpected extra.weight" in message
    assert "linear.bias is (3,) in the state, (2,) in the model" in message


def test_shared_modules_and_tied_parameters_stay_shared():
    with torch.device("meta"):
        skeleton = nn.ModuleDict({"a": nn.Linear(2, 2), "c": nn.Linear(2, 2, bias=False)})
        skeleton["b"] = skeleton["a"]  # one module under two names
        skeleton["c"].weight = skeleton["a"].weight  # one parameter in two modules
    state = {
        "a.weight": torch.eye(2),
        "a.bias": torch.ones(2),
        "b.weight": torch.eye(2),
        "b.bias": torch.ones(2),
        "c.weight": torch.eye(2),
    }
    filled = filled_copy(skeleton, state)
    assert filled["a"] is filled["b"] and filled["c"].weight is filled["a"].weight
    assert torch.equal(filled["c"].weight, torch.eye(2))
    assert skeleton["a"] is not filled["a"] and skeleton["a"].weight.is_meta


def test_a_state_with_keys_that_are_not_names_is_a_mismatch():
    state = {**_state(), 3: torch.zeros(1)}
    with pytest.raises(StateMismatch, match="unexpected 3"):
        filled_copy(_skeleton(), state)


def test_randn_draws_like_torch_and_nothing_on_the_meta_device():
    torch.manual_seed(3)
    expected = torch.randn(4, 5, dtype=torch.complex128)
    torch.manual_seed(3)
    assert torch.equal(randn(4, 5, dtype=torch.complex128), expected)
    torch.manual_seed(3)
    with torch.device("meta"):
        empty = randn(4, 5)
    assert empty.is_meta and empty.shape == (4, 5)
    assert torch.equal(torch.randn(4, 5, dtype=torch.complex128), expected)  # nothing drawn


def test_the_weight_norm_parametrisation_is_torchs():
    torch.manual_seed(0)
    ours = _weight_normed_conv(4, 6, 3)
    theirs = parametrizations.weight_norm(nn.Conv1d(4, 6, 3, padding=1))
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(2, 4, 11)
    assert torch.equal(ours(x), theirs(x))
    pointwise = _weight_normed_conv(4, 6, 1)
    reference = parametrizations.weight_norm(nn.Conv1d(4, 6, 1))
    assert pointwise.state_dict().keys() == reference.state_dict().keys()
    reference.load_state_dict(pointwise.state_dict())
    torch.testing.assert_close(pointwise(x), reference(x), rtol=1e-6, atol=1e-6)
    g, v = WeightNorm().right_inverse(torch.empty(6, 4, 3, device="meta"))
    assert g.is_meta and g.shape == (6, 1, 1) and v.shape == (6, 4, 3)


def test_a_checkpoint_loads_in_a_fresh_process_without_torchs_compiler_stack(tmp_path):
    # Meta-device arithmetic would import torch._dynamo and sympy: ~1 s of every command.
    config = GeneratorConfig.tiny(signal_length=32)
    from generator.core.checkpoint import save_checkpoint

    save_checkpoint(tmp_path / "model.pt", SSSDECG(config.model), config)
    program = (
        "import sys, torch\n"
        "from generator.core.checkpoint import load_checkpoint\n"
        "from generator.core.config import GeneratorConfig\n"
        "from generator.core.network import SSSDECG\n"
        f"load_checkpoint({str(tmp_path / 'model.pt')!r})\n"
        "for variant, frozen in (('nle', False), ('nle', True), ('sssd', False)):\n"
        "    config = GeneratorConfig.paper(label_variant=variant, freeze_present_state=frozen)\n"
        "    with torch.device('meta'):\n"
        "        SSSDECG(config.model)\n"
        "print(sorted(m for m in ('torch._dynamo', 'sympy') if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert run.stdout.split("\n")[-2] == "[]"


def test_the_garbage_collector_pause_restores_its_state_even_on_errors():
    import gc

    assert gc.isenabled()
    with pytest.raises(RuntimeError), without_cyclic_gc():
        assert not gc.isenabled()
        raise RuntimeError("inside")
    assert gc.isenabled()
    gc.disable()
    try:
        with without_cyclic_gc():
            pass
        assert not gc.isenabled()  # a pause does not switch on what the caller switched off
    finally:
        gc.enable()
