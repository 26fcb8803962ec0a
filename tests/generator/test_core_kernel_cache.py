"""S4 kernel spectra built once per backend and kept on disk per checkpoint, length, mode."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pytest
import torch

from generator.backends.sssd_nle import SssdNleBackend
from generator.core.checkpoint import save_checkpoint
from generator.core.config import GeneratorConfig
from generator.core.ema import WeightAverage
from generator.core.kernel_cache import KernelCacheKey, kernel_spectra
from generator.core.network import SSSDECG
from generator.core.s4 import S4
from tests.generator.checkpoints import tiny_checkpoint

LABELS = [["NORM", "SR"], ["CLBBB"], ["IMI"]]
DDIM = {"sampler": "ddim", "steps": 2, "batch_size": 2, "device": "cpu"}
S4_MODULES = 4  # two residual blocks of the tiny configuration, two S4 layers each


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt")


@pytest.fixture
def spectrum_calls(monkeypatch) -> list[int]:
    """Counts S4.kernel_spectrum calls (each one a kernel computed from the weights)."""
    calls: list[int] = []
    original = S4.kernel_spectrum

    def counted(self, length):
        calls.append(length)
        return original(self, length)

    monkeypatch.setattr(S4, "kernel_spectrum", counted)
    return calls


def test_a_second_backend_reads_the_spectra_from_disk_and_samples_the_same(
    checkpoint, tmp_path, spectrum_calls
):
    cache = tmp_path / "cache"
    first = SssdNleBackend(checkpoint, kernel_cache_dir=cache, **DDIM)
    built = first.generate(LABELS, seed=3)
    assert first.kernel_spectra().source == "built" and len(spectrum_calls) == S4_MODULES
    files = list(cache.iterdir())
    assert [f.name for f in files] == [first.kernel_spectra().path.name]
    assert files[0].name.startswith(first.loaded.sha256) and "-L1000-exact-trained-cpu" in (
        files[0].name
    )
    mtime = files[0].stat().st_mtime_ns
    spectrum_calls.clear()
    second = SssdNleBackend(checkpoint, kernel_cache_dir=cache, **DDIM)
    read = second.generate(LABELS, seed=3)
    assert second.kernel_spectra().source == "disk"
    assert len(spectrum_calls) == 1  # one module recomputed to check the file, not four
    assert files[0].stat().st_mtime_ns == mtime
    uncached = SssdNleBackend(checkpoint, cache_kernels=False, **DDIM).generate(LABELS, seed=3)
    np.testing.assert_allclose(built, uncached, rtol=0, atol=1e-6)
    np.testing.assert_allclose(read, uncached, rtol=0, atol=1e-6)


def test_the_spectra_are_built_once_for_every_chunk(checkpoint, spectrum_calls):
    backend = SssdNleBackend(checkpoint, **DDIM)
    whole = backend.generate(LABELS, seed=5)
    chunks = [backend.generate(LABELS[i : i + 2], seed=5, start_index=i) for i in (0, 2)]
    assert len(spectrum_calls) == S4_MODULES and backend.kernel_cache_dir is None
    np.testing.assert_array_equal(np.concatenate(chunks), whole)
    modules = list(backend.loaded.model.s4_modules())
    assert all(m._cached_kernel is None for m in modules)  # held only while sampling


def test_a_corrupt_cache_file_is_rebuilt_with_a_warning(checkpoint, tmp_path, caplog):
    cache = tmp_path / "cache"
    reference = SssdNleBackend(checkpoint, kernel_cache_dir=cache, **DDIM)
    expected = reference.generate(LABELS, seed=1)
    path = reference.kernel_spectra().path
    path.write_bytes(path.read_bytes()[:1000])  # a truncated file
    with caplog.at_level(logging.WARNING, logger="generator.core.kernel_cache"):
        rebuilt = SssdNleBackend(checkpoint, kernel_cache_dir=cache, **DDIM)
        np.testing.assert_array_equal(rebuilt.generate(LABELS, seed=1), expected)
    assert rebuilt.kernel_spectra().source == "built" and "unreadable" in caplog.text
    assert SssdNleBackend(checkpoint, kernel_cache_dir=cache, **DDIM).kernel_spectra().source == (
        "disk"
    )


def test_a_file_that_does_not_match_the_weights_is_rebuilt(tmp_path, caplog):
    torch.manual_seed(0)
    model = SSSDECG(GeneratorConfig.tiny(signal_length=64).model)
    key = KernelCacheKey("ab" * 32, 64, "exact", "trained", "cpu")
    written = kernel_spectra(model, key, tmp_path)
    payload = torch.load(written.path, weights_only=True)
    name = next(iter(payload["spectra"]))
    payload["spectra"][name] = payload["spectra"][name] * 2  # weights changed, same SHA
    torch.save(payload, written.path)
    with caplog.at_level(logging.WARNING, logger="generator.core.kernel_cache"):
        again = kernel_spectra(model, key, tmp_path)
    assert again.source == "built" and "differs from the spectrum" in caplog.text
    payload["spectra"] = {n: v[..., :-1] for n, v in written.state.items()}  # other FFT size
    payload["spectra"][name] = written.state[name]
    torch.save(payload, written.path)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="generator.core.kernel_cache"):
        assert kernel_spectra(model, key, tmp_path).source == "built"
    assert "expected" in caplog.text
    other = replace(key, kernel_mode="release_fallback")
    written.path.rename(tmp_path / other.filename())  # a file under another key's name
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="generator.core.kernel_cache"):
        assert kernel_spectra(model, other, tmp_path).source == "built"
    assert "written for" in caplog.text
    for value, stored in zip(
        kernel_spectra(model, key, tmp_path).state.values(), written.state.values(), strict=True
    ):
        torch.testing.assert_close(value, stored, rtol=0, atol=0)


def test_mode_length_weights_and_device_get_their_own_files(checkpoint, tmp_path):
    key = KernelCacheKey("ab" * 32, 1000, "exact", "trained", "cpu")
    others = [
        replace(key, length=500),
        replace(key, kernel_mode="release_fallback"),
        replace(key, weights="ema"),
        replace(key, device="cuda"),
        replace(key, checkpoint_sha256="cd" * 32),
    ]
    assert len({k.filename() for k in [key, *others]}) == 6
    torch.manual_seed(0)
    config = GeneratorConfig.tiny()
    model = SSSDECG(config.model)
    averaged = tmp_path / "averaged.pt"
    save_checkpoint(averaged, model, config, ema=WeightAverage(model, 0.5))
    cache = tmp_path / "cache"
    backends = [
        SssdNleBackend(checkpoint, kernel_cache_dir=cache, **DDIM),
        SssdNleBackend(checkpoint, kernel_cache_dir=cache, kernel_mode="release_fallback", **DDIM),
        SssdNleBackend(averaged, kernel_cache_dir=cache, **DDIM),
        SssdNleBackend(averaged, kernel_cache_dir=cache, ema=True, **DDIM),
    ]
    paths = {backend.kernel_spectra().path for backend in backends}
    assert len(paths) == 4 and set(cache.iterdir()) == paths
    assert all(backend.kernel_spectra().source == "built" for backend in backends)


def test_an_unwritable_cache_folder_only_costs_the_build(checkpoint, tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    backend = SssdNleBackend(checkpoint, kernel_cache_dir=blocked / "cache", **DDIM)
    with caplog.at_level(logging.WARNING, logger="generator.core.kernel_cache"):
        signals = backend.generate(LABELS[:1], seed=0)
    assert signals.shape == (1, 12, 1000) and "could not be written" in caplog.text
