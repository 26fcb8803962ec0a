"""S4 layer in plain PyTorch: HiPPO-LegS DPLR state space, naive Cauchy kernel, FFT convolution.

The continuous system x' = A x + B u, y = C x has A = diag(w) - P Q^T (diagonal plus rank
one, unitarily equivalent to the HiPPO-LegS matrix) and is discretised with the bilinear
transform at step dt. Only one state of each complex-conjugate pair is stored; every sum
over the state adds the conjugate term (kernel mode ``exact``), except in kernel mode
``release_fallback``, which sums the stored half only, as SSSD-ECG's ``cauchy_slow`` does.
Parameters use the shapes and names of the S4 code that SSSD-ECG released (complex tensors
stored as a trailing real/imag axis), so its checkpoints map onto these modules directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from generator.core import meta_device
from generator.core.config import S4Config
from generator.core.pointwise import PointwiseConv1d

# Attribute names of the state-space parameters that get their own optimiser group.
SSM_PARAMETER_NAMES: frozenset[str] = frozenset({"log_dt", "w", "B", "P", "Q"})


@dataclass(frozen=True)
class HippoLegS:
    """HiPPO-LegS (a, b) and its diagonal-plus-low-rank form over half the states.

    a + p p^T = -I/2 + S with S skew-symmetric, so it is normal; with the eigenvectors V of
    S, a = V (diag(w) - P P^*) V^*, P = V^* p and B = V^* b. Eigenvalues come in conjugate
    pairs; ``basis`` holds the eigenvectors of the ones with positive imaginary part.
    """

    a: np.ndarray  # (N, N) real, lower triangular
    w: np.ndarray  # (N/2,) complex
    p: np.ndarray  # (N/2,) complex
    b: np.ndarray  # (N/2,) complex
    basis: np.ndarray  # (N, N/2) complex, orthonormal columns


@cache
def hippo_legs_dplr(d_state: int) -> HippoLegS:
    """The HiPPO-LegS matrices of state size ``d_state`` in DPLR form (float64/complex128)."""
    q = np.arange(d_state, dtype=np.float64)
    root = np.sqrt(2 * q + 1)
    a = -np.where(q[:, None] > q[None, :], root[:, None] * root[None, :], 0.0) - np.diag(q + 1)
    p = np.sqrt(q + 0.5)
    skew = a + np.outer(p, p) + 0.5 * np.eye(d_state)
    # -i S is Hermitian: eigh gives real eigenvalues lam with S v = i lam v.
    lam, vectors = np.linalg.eigh(-1j * skew)
    keep = np.argsort(lam)[d_state // 2 :]
    basis = vectors[:, keep]
    return HippoLegS(a, -0.5 + 1j * lam[keep], basis.conj().T @ p, basis.conj().T @ root, basis)


def fft_size(length: int) -> int:
    """FFT length of an S4 convolution of ``length`` samples: the power of two >= 2L.

    A linear (not circular) convolution with taps -L+1 ... L-1 needs n >= 2L - 1, and
    power-of-two transforms are the fastest (2048 vs 2000 points: ~25% less time).
    """
    return 1 << (2 * length - 1).bit_length()


def _conj_pairs(x: Tensor) -> Tensor:
    """Append the conjugate half of the state along the last axis."""
    return torch.cat([x, x.conj()], dim=-1)


class S4Kernel(nn.Module):
    """The convolution kernel of a DPLR state space model, one per feature and channel."""

    def __init__(self, features: int, channels: int, config: S4Config) -> None:
        super().__init__()
        self.kernel_mode = config.kernel_mode
        half = config.d_state // 2
        hippo = hippo_legs_dplr(config.d_state)
        # on the default device: the meta device when a checkpoint is loaded into shapes
        device = torch.get_default_device()
        w, p, q, b = (
            torch.as_tensor(x, device=device) for x in (hippo.w, hippo.p, hippo.p.conj(), hippo.b)
        )
        w = w.expand(features, half)
        b = b.expand(1, features, half)
        p = p.expand(1, features, half)
        q = q.expand(1, features, half)
        if meta_device.on_meta_device():  # shapes only for stored weights: nothing to draw
            log_dt = torch.empty(features, dtype=torch.float64)
            c = torch.empty(channels, features, half, dtype=torch.complex128)
        else:
            log_dt = torch.rand(features, dtype=torch.float64) * (
                math.log(config.dt_max) - math.log(config.dt_min)
            ) + math.log(config.dt_min)
            c = torch.randn(channels, features, half, dtype=torch.complex128)
            # Store C~ = C (I - dA^L): the kernel is then exactly the first L taps (S4's trick).
            c = _length_corrected(c, hippo, log_dt.exp(), config.lmax)
        self.C = nn.Parameter(torch.view_as_real(c.to(torch.complex64)).contiguous())
        ssm = {
            "log_dt": log_dt.float(),
            "w": torch.view_as_real(w.to(torch.complex64)).contiguous(),
            "B": torch.view_as_real(b.to(torch.complex64)).contiguous(),
            "P": torch.view_as_real(p.to(torch.complex64)).contiguous(),
            "Q": torch.view_as_real(q.to(torch.complex64)).contiguous(),
        }
        for name, value in ssm.items():
            if config.train_ssm:
                self.register_parameter(name, nn.Parameter(value))
            else:
                self.register_buffer(name, value)

    def forward(self, length: int) -> Tensor:
        """Return the kernel (channels, features, length) in the parameters' real dtype."""
        dt = self.log_dt.exp()
        w = torch.view_as_complex(self.w)
        left = torch.cat([torch.view_as_complex(self.C), torch.view_as_complex(self.Q)])
        right = torch.cat([torch.view_as_complex(self.B), torch.view_as_complex(self.P)])
        omega = torch.exp(
            -2j * math.pi * torch.arange(length // 2 + 1, dtype=dt.dtype, device=dt.device) / length
        ).to(w.dtype)
        # Generating function at z = omega: 2/(1+z) C^T (g(z) - A)^{-1} B with
        # g(z) = 2(1-z)/(dt(1+z)); written without dividing by 1+z, which vanishes at Nyquist.
        two_over_dt = (2.0 / dt).to(w.dtype)[:, None, None]

        def cauchy(poles: Tensor) -> Tensor:
            return 2.0 / (two_over_dt * (1 - omega) - poles[..., None] * (1 + omega))

        v = left[:, None] * right[None]  # (c+1, 2, H, N/2)
        s = torch.einsum("abhn,hnl->abhl", v, cauchy(w))
        if self.kernel_mode == "exact":
            s = s + torch.einsum("abhn,hnl->abhl", v.conj(), cauchy(w.conj()))
        # Rank-one Woodbury correction; s[-1, :] carries the 2/(1+z) factor, remove it there.
        half_plus = (1 + omega) / 2
        k_f = s[:-1, 0] - s[:-1, 1] * (s[-1, 0] * half_plus) / (1 + s[-1, 1] * half_plus)
        return torch.fft.irfft(k_f, n=length)


def _length_corrected(c: Tensor, hippo: HippoLegS, dt: Tensor, length: int) -> Tensor:
    """C (I - dA^L) over the conjugate-expanded states; half the states returned.

    The expanded system is the real LegS system in the unitary basis V = [basis, conj], so
    dA^L is computed on the real triangular LegS matrix (cheaper than complex DPLR algebra).
    """
    # float32 throughout: an initialisation needs no more accuracy, and it is much faster.
    a = torch.from_numpy(hippo.a).float()
    eye = torch.eye(a.shape[0])
    half_dt = (dt.float() / 2)[:, None, None]
    da = torch.linalg.solve_triangular(eye - half_dt * a, eye + half_dt * a, upper=False)
    da_l = torch.linalg.matrix_power(da, length)  # (H, N, N) real
    basis = torch.from_numpy(hippo.basis)
    v = torch.cat([basis, basis.conj()], dim=1)  # (N, N) unitary
    c_full = _conj_pairs(c)
    in_legs = torch.einsum("chn,mn->chm", c_full, v.conj())  # row vectors C^T V^*
    parts = torch.cat([in_legs.real, in_legs.imag]).float().transpose(0, 1)  # (H, 2ch, N)
    powered = torch.bmm(parts, da_l).transpose(0, 1).double()
    channels = c.shape[0]
    powered = torch.complex(powered[:channels], powered[channels:])
    corrected = c_full - torch.einsum("chk,kj->chj", powered, v)
    return corrected[..., : c.shape[-1]]


class S4(nn.Module):
    """S4 convolution of (batch, features, length), D skip, GELU and a 1x1 output mixing."""

    def __init__(self, features: int, config: S4Config) -> None:
        super().__init__()
        self.bidirectional = config.bidirectional
        self.D = nn.Parameter(meta_device.randn(1, features))
        self.kernel = S4Kernel(features, 2 if config.bidirectional else 1, config)
        self.output_linear = PointwiseConv1d(features, features)
        self._cached_kernel: tuple[int, Tensor] | None = None

    def kernel_spectrum(self, length: int) -> Tensor:
        """FFT of the (two-sided when bidirectional) kernel, shape (H, n/2 + 1), n = fft_size.

        The skip term D u is a convolution with D times a unit impulse, whose spectrum is D
        at every frequency, so it is added here and costs nothing per forward pass.
        """
        with torch.autocast(self.D.device.type, enabled=False):
            k = self.kernel(length)
            n = fft_size(length)
            causal = F.pad(k[0], (0, n - length))
            if self.bidirectional:
                # The flipped anti-causal half wraps round to the end (taps -1 ... -L), as in
                # the released S4 code; n >= 2L, so no tap reaches the other side.
                causal = causal + F.pad(k[1].flip(-1), (n - length, 0))
            return torch.fft.rfft(causal) + self.D[0, :, None]

    def cache_kernel(self, length: int, spectrum: Tensor | None = None) -> None:
        """Use ``spectrum`` (default: computed now) for inputs of ``length`` samples until
        :meth:`clear_kernel_cache`; inputs of other lengths compute their own."""
        if spectrum is None:
            with torch.no_grad():
                spectrum = self.kernel_spectrum(length)
        self._cached_kernel = (length, spectrum)

    def clear_kernel_cache(self) -> None:
        """Forget the cached kernel spectrum (parameters may have changed)."""
        self._cached_kernel = None

    def forward(self, u: Tensor) -> Tensor:
        """u: (batch, features, length) -> same shape."""
        length = u.shape[-1]
        cached = self._cached_kernel
        with torch.autocast(u.device.type, enabled=False):
            x = u.to(self.kernel.log_dt.dtype)
            n = fft_size(length)
            if cached is not None and cached[0] == length:
                k_f = cached[1]
            else:
                k_f = self.kernel_spectrum(length)
            y = torch.fft.irfft(torch.fft.rfft(x, n=n) * k_f, n=n)
            y = F.gelu(y[..., :length])
        return self.output_linear(y)


class S4Layer(nn.Module):
    """S4 with a residual connection and LayerNorm over features; (B, H, L) -> (B, H, L)."""

    def __init__(self, features: int, config: S4Config) -> None:
        super().__init__()
        self.s4_layer = S4(features, config)
        self.norm_layer = nn.LayerNorm(features) if config.layer_norm else nn.Identity()
        self.dropout = nn.Dropout1d(config.dropout) if config.dropout > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        """x: (batch, features, length)."""
        y = self.dropout(self.s4_layer(x)) + x
        return self.norm_layer(y.transpose(1, 2)).transpose(1, 2)
