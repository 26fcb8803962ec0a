"""Read checkpoints of the original SSSD-ECG release (AI4HealthUOL/SSSD-ECG, SSSD_ECG module).

The release saved ``{'model_state_dict': ..., 'optimizer_state_dict': ...}`` of a module
whose names this package's network mirrors; the differences are old-style weight norm
(weight_g/weight_v), the label matrix called ``embedding``, the S4 kernel nested one level
deeper, cached FFT nodes stored as buffers and a transposed-linear output layer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch
from torch import Tensor

from generator.core.config import DiffusionConfig, GeneratorConfig, S4Config, SSSDConfig
from generator.core.scp import SCP_VOCABULARY

_BLOCK = re.compile(r"^residual_layer\.residual_blocks\.(\d+)\.")
_DROPPED_SUFFIXES = (".kernel.kernel.omega", ".kernel.kernel.z")


def is_release_checkpoint(payload: object) -> bool:
    """True for a dict saved by the SSSD-ECG release's training script."""
    return (
        isinstance(payload, Mapping)
        and "model_state_dict" in payload
        and "format_version" not in payload
    )


def release_to_native(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Rename and reshape a release state dict into this package's :class:`SSSDECG` names."""
    native: dict[str, Tensor] = {}
    for key, value in state.items():
        if key.endswith(_DROPPED_SUFFIXES):
            continue  # FFT nodes, recomputed from the length
        new = key.replace("kernel.kernel.", "kernel.")
        if new == "embedding.weight":
            new = "label_encoder.weight"
        new = re.sub(r"\.weight_g$", ".parametrizations.weight.original0", new)
        new = re.sub(r"\.weight_v$", ".parametrizations.weight.original1", new)
        if new.endswith("output_linear.weight"):
            value = value.unsqueeze(-1)
        elif new.endswith("output_linear.bias"):
            value = value.squeeze(-1)
        native[new] = value
    return native


def native_to_release(state: Mapping[str, Tensor], signal_length: int) -> dict[str, Tensor]:
    """Inverse of :func:`release_to_native` (FFT node buffers rebuilt for ``signal_length``)."""
    release: dict[str, Tensor] = {}
    for key, value in state.items():
        new = key.replace(".kernel.", ".kernel.kernel.")
        if new == "label_encoder.weight":
            new = "embedding.weight"
        new = re.sub(r"\.parametrizations\.weight\.original0$", ".weight_g", new)
        new = re.sub(r"\.parametrizations\.weight\.original1$", ".weight_v", new)
        if new.endswith("output_linear.weight"):
            value = value.squeeze(-1)
        elif new.endswith("output_linear.bias"):
            value = value.unsqueeze(-1)
        release[new] = value
        if new.endswith(".kernel.kernel.C"):
            prefix = new[: -len("C")]
            omega = torch.exp(
                -2j * torch.pi * torch.arange(signal_length // 2 + 1) / signal_length
            ).to(torch.complex64)
            release[prefix + "omega"] = torch.view_as_real(omega)
            release[prefix + "z"] = torch.view_as_real(2 * (1 - omega) / (1 + omega))
    return release


def config_from_release(state: Mapping[str, Tensor]) -> GeneratorConfig:
    """Infer the release model's configuration from its tensor shapes.

    The release used 71-label multi-hot conditioning and generated leads I, V1-V6, aVF.
    """
    blocks = {int(m.group(1)) for key in state if (m := _BLOCK.match(key))}
    try:
        num_labels, label_dim = state["embedding.weight"].shape
        block = "residual_layer.residual_blocks.0."
        c_shape = state[block + "S41.s4_layer.kernel.kernel.C"].shape  # (ch, H, N/2, 2)
        omega = state.get(block + "S41.s4_layer.kernel.kernel.omega")
        length = 2 * (omega.shape[0] - 1) if omega is not None else 1000
        model = SSSDConfig(
            res_channels=state[block + "fc_t.weight"].shape[0],
            skip_channels=state["final_conv.0.conv.weight_v"].shape[0],
            num_res_layers=len(blocks),
            step_embed_in=state["residual_layer.fc_t1.weight"].shape[1],
            step_embed_mid=state["residual_layer.fc_t1.weight"].shape[0],
            step_embed_out=state["residual_layer.fc_t2.weight"].shape[0],
            label_embed_dim=label_dim,
            label_variant="sssd",
            label_vocabulary=SCP_VOCABULARY if num_labels == len(SCP_VOCABULARY) else (),
            lead_set="sssd",
            signal_length=length,
            s4=S4Config(
                d_state=2 * c_shape[2],
                lmax=length,
                bidirectional=c_shape[0] == 2,
                layer_norm=(block + "S41.norm_layer.weight") in state,
                train_ssm=False,
            ),
        )
    except KeyError as exc:
        raise ValueError(f"not an SSSD-ECG release state dict: missing {exc}") from exc
    if not model.label_vocabulary:
        raise ValueError(
            f"release checkpoint has {num_labels} labels; only the 71 PTB-XL labels are known"
        )
    config = GeneratorConfig(model, DiffusionConfig())
    config.validate()
    return config
