"""S4 kernel against a direct recurrence of the discretised state space model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generator.core.config import S4Config
from generator.core.s4 import S4, S4Kernel, hippo_legs_dplr


def _full(x: torch.Tensor) -> torch.Tensor:
    return torch.cat([x, x.conj()], dim=-1)


def _discrete_system(kernel: S4Kernel, length: int):
    """dA, dB and the original C (undoing the length correction) for the expanded state."""
    w = _full(torch.view_as_complex(kernel.w))
    p = _full(torch.view_as_complex(kernel.P)[0])
    q = _full(torch.view_as_complex(kernel.Q)[0])
    b = _full(torch.view_as_complex(kernel.B)[0])
    c_tilde = _full(torch.view_as_complex(kernel.C))
    dt = kernel.log_dt.exp().to(w.dtype)[:, None, None]
    a = torch.diag_embed(w) - p[..., :, None] * q[..., None, :]
    eye = torch.eye(a.shape[-1], dtype=a.dtype)
    da = torch.linalg.solve(eye - dt / 2 * a, eye + dt / 2 * a)
    db = torch.linalg.solve(eye - dt / 2 * a, (dt[..., 0] * b)[..., None])[..., 0]
    da_l = torch.linalg.matrix_power(da, length)
    # C~^T = C^T (I - dA^L)  =>  C = (I - dA^L)^-T C~
    c = torch.linalg.solve((eye - da_l).transpose(-1, -2)[None], c_tilde[..., None])[..., 0]
    return da, db, c


def test_hippo_dplr_reconstructs_legs_matrix():
    hippo = hippo_legs_dplr(16)
    v = np.concatenate([hippo.basis, hippo.basis.conj()], axis=1)
    w = np.concatenate([hippo.w, hippo.w.conj()])
    p = np.concatenate([hippo.p, hippo.p.conj()])
    rebuilt = v @ (np.diag(w) - np.outer(p, p.conj())) @ v.conj().T
    assert np.allclose(rebuilt, hippo.a, atol=1e-10)
    assert np.allclose(np.sort(-np.diag(hippo.a)), np.arange(1, 17))


def test_kernel_matches_state_space_recurrence():
    torch.manual_seed(0)
    length = 96
    kernel = S4Kernel(3, 2, S4Config(d_state=8, lmax=length)).double()
    with torch.no_grad():
        fast = kernel(length)
        da, db, c = _discrete_system(kernel, length)
        state, taps = db.clone(), []
        for _ in range(length):  # impulse response: K_l = C^T dA^l dB
            taps.append(torch.einsum("chn,hn->ch", c, state))
            state = torch.einsum("hnm,hm->hn", da, state)
        reference = torch.stack(taps, dim=-1)
    assert reference.imag.abs().max() < 1e-12
    assert fast.abs().max() > 1e-3
    torch.testing.assert_close(fast, reference.real, rtol=0, atol=1e-12)


def test_unidirectional_s4_equals_running_the_recurrence():
    torch.manual_seed(1)
    length = 64
    layer = S4(4, S4Config(d_state=8, lmax=length, bidirectional=False)).double()
    u = torch.randn(2, 4, length, dtype=torch.float64)
    with torch.no_grad():
        da, db, c = _discrete_system(layer.kernel, length)
        state = torch.zeros(2, *db.shape, dtype=db.dtype)
        outputs = []
        for step in range(length):
            state = torch.einsum("hnm,bhm->bhn", da, state) + db * u[:, :, step, None]
            outputs.append(torch.einsum("hn,bhn->bh", c[0], state).real)
        y = torch.stack(outputs, dim=-1) + u * layer.D[0, :, None]
        expected = layer.output_linear(torch.nn.functional.gelu(y))
        torch.testing.assert_close(layer(u), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("bidirectional", [True, False])
def test_cached_kernel_gives_identical_output(bidirectional):
    torch.manual_seed(2)
    layer = S4(8, S4Config(d_state=8, lmax=50, bidirectional=bidirectional))
    u = torch.randn(3, 8, 50)
    with torch.no_grad():
        uncached = layer(u)
        shorter = layer(u[..., :47])
        layer.cache_kernel(50)
        cached = layer(u)
        # 47 samples share the FFT size of 50 but not the kernel: computed, not the cache's
        cached_shorter = layer(u[..., :47])
        layer.clear_kernel_cache()
    assert torch.equal(cached, uncached)
    assert torch.equal(cached_shorter, shorter)


def test_ssm_parameters_trainable_or_fixed():
    trained = S4Kernel(4, 1, S4Config(d_state=4, lmax=10, train_ssm=True))
    fixed = S4Kernel(4, 1, S4Config(d_state=4, lmax=10))  # the default, as in SSSD-ECG
    assert {n for n, _ in trained.named_parameters()} == {"C", "log_dt", "w", "B", "P", "Q"}
    assert {n for n, _ in fixed.named_parameters()} == {"C"}
    assert set(fixed.state_dict()) == set(trained.state_dict())
    dt = trained.log_dt.exp()
    assert dt.min() >= 1e-3 and dt.max() <= 1e-1
