"""Configuration dataclasses of the SSSD-ECG generator (S4 layer, backbone, diffusion)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from generator.core.leads import GENERATED_LEAD_SETS
from generator.core.scp import SCP_VOCABULARY

LABEL_VARIANTS: tuple[str, ...] = ("sssd", "nle")
# "exact" sums both states of every conjugate pair in the S4 Cauchy kernel (the released
# pykeops/CUDA paths); "release_fallback" sums only the stored half, as the release's
# ``cauchy_slow`` fallback does whenever neither extension imports.
KERNEL_MODES: tuple[str, ...] = ("exact", "release_fallback")


class ConfigError(ValueError):
    """A configuration value that the generator cannot use."""


@dataclass(frozen=True)
class S4Config:
    """Structured state space layer: HiPPO-LegS DPLR kernel, bidirectional, LayerNorm."""

    d_state: int = 64
    lmax: int = 1000
    bidirectional: bool = True
    layer_norm: bool = True
    dropout: float = 0.0
    dt_min: float = 1e-3
    dt_max: float = 1e-1
    # SSSD-ECG and the nle code keep dt, A (w, P, Q) and B fixed (buffers); True trains them.
    train_ssm: bool = False
    kernel_mode: str = "exact"

    def validate(self) -> None:
        """Raise :class:`ConfigError` for values the S4 layer cannot use."""
        if self.kernel_mode not in KERNEL_MODES:
            raise ConfigError(
                f"S4 kernel_mode must be one of {KERNEL_MODES}, got {self.kernel_mode!r}"
            )
        if self.d_state < 2 or self.d_state % 2:
            raise ConfigError(f"S4 d_state must be an even number >= 2, got {self.d_state}")
        if self.lmax < 2:
            raise ConfigError(f"S4 lmax must be >= 2, got {self.lmax}")
        if not 0 < self.dt_min <= self.dt_max:
            raise ConfigError(f"S4 needs 0 < dt_min <= dt_max, got {self.dt_min}, {self.dt_max}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"S4 dropout must lie in [0, 1), got {self.dropout}")


@dataclass(frozen=True)
class SSSDConfig:
    """The SSSD-ECG backbone, its label conditioning and the leads it generates."""

    res_channels: int = 256
    skip_channels: int = 256
    num_res_layers: int = 36
    step_embed_in: int = 128
    step_embed_mid: int = 512
    step_embed_out: int = 512
    label_embed_dim: int = 128
    label_variant: str = "nle"
    label_vocabulary: tuple[str, ...] = SCP_VOCABULARY
    # The released nle code froze the "present" embedding at zero (padding_idx=-1).
    freeze_present_state: bool = False
    lead_set: str = "nle"
    signal_length: int = 1000
    sampling_rate: int = 100
    s4: S4Config = field(default_factory=S4Config)

    @property
    def leads(self) -> tuple[str, ...]:
        """Names of the generated leads, in channel order."""
        return GENERATED_LEAD_SETS[self.lead_set]

    @property
    def channels(self) -> int:
        """Number of generated leads (input and output channels of the network)."""
        return len(self.leads)

    def validate(self) -> None:
        """Raise :class:`ConfigError` for values the backbone cannot use."""
        self.s4.validate()
        if self.label_variant not in LABEL_VARIANTS:
            raise ConfigError(
                f"label_variant must be one of {LABEL_VARIANTS}, got {self.label_variant!r}"
            )
        if self.lead_set not in GENERATED_LEAD_SETS:
            raise ConfigError(
                f"lead_set must be one of {sorted(GENERATED_LEAD_SETS)}, got {self.lead_set!r}"
            )
        if not self.label_vocabulary or len(set(self.label_vocabulary)) != len(
            self.label_vocabulary
        ):
            raise ConfigError("label_vocabulary must be a non-empty tuple of distinct codes")
        if self.step_embed_in % 2 or self.step_embed_in < 4:
            raise ConfigError(f"step_embed_in must be even and >= 4, got {self.step_embed_in}")
        if self.signal_length > self.s4.lmax:
            raise ConfigError(
                f"signal_length {self.signal_length} exceeds the S4 lmax {self.s4.lmax}"
            )
        for name in ("res_channels", "skip_channels", "num_res_layers", "label_embed_dim"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")


@dataclass(frozen=True)
class DiffusionConfig:
    """DDPM noise schedule: T steps, beta linear from beta_0 to beta_T."""

    T: int = 200
    beta_0: float = 1e-4
    beta_T: float = 0.02

    def validate(self) -> None:
        """Raise :class:`ConfigError` for an unusable schedule."""
        if self.T < 2:
            raise ConfigError(f"diffusion T must be >= 2, got {self.T}")
        if not 0 < self.beta_0 <= self.beta_T < 1:
            raise ConfigError(f"need 0 < beta_0 <= beta_T < 1, got {self.beta_0}, {self.beta_T}")


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything that defines a generator model: backbone and diffusion schedule."""

    model: SSSDConfig = field(default_factory=SSSDConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)

    @classmethod
    def paper(
        cls,
        *,
        label_variant: str = "nle",
        lead_set: str = "nle",
        train_ssm: bool = False,
        freeze_present_state: bool = False,
        kernel_mode: str = "exact",
    ) -> GeneratorConfig:
        """The published SSSD-ECG configuration (36 blocks, 256 channels, d_state 64, T=200)."""
        model = SSSDConfig(
            label_variant=label_variant,
            lead_set=lead_set,
            freeze_present_state=freeze_present_state,
            s4=S4Config(train_ssm=train_ssm, kernel_mode=kernel_mode),
        )
        config = cls(model)
        config.validate()
        return config

    @classmethod
    def tiny(
        cls,
        *,
        label_variant: str = "nle",
        lead_set: str = "nle",
        signal_length: int = 1000,
        train_ssm: bool = False,
        freeze_present_state: bool = False,
        kernel_mode: str = "exact",
    ) -> GeneratorConfig:
        """A small configuration for tests and smoke runs (2 blocks, 32 channels, d_state 8)."""
        model = SSSDConfig(
            res_channels=32,
            skip_channels=32,
            num_res_layers=2,
            step_embed_in=32,
            step_embed_mid=64,
            step_embed_out=64,
            label_embed_dim=16,
            label_variant=label_variant,
            lead_set=lead_set,
            signal_length=signal_length,
            freeze_present_state=freeze_present_state,
            s4=S4Config(
                d_state=8, lmax=signal_length, train_ssm=train_ssm, kernel_mode=kernel_mode
            ),
        )
        config = cls(model)
        config.validate()
        return config

    def validate(self) -> None:
        """Raise :class:`ConfigError` when any part is unusable."""
        self.model.validate()
        self.diffusion.validate()

    def with_model(self, **changes: Any) -> GeneratorConfig:
        """A copy with some backbone fields changed."""
        return replace(self, model=replace(self.model, **changes))

    def with_kernel_mode(self, kernel_mode: str) -> GeneratorConfig:
        """A copy whose S4 layers compute their kernel in ``kernel_mode``."""
        config = self.with_model(s4=replace(self.model.s4, kernel_mode=kernel_mode))
        config.validate()
        return config

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (as stored in checkpoints)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        """Rebuild a configuration from :meth:`to_dict` output; unknown keys raise."""
        try:
            model = dict(data["model"])
            s4 = S4Config(**model.pop("s4"))
            model["label_vocabulary"] = tuple(model["label_vocabulary"])
            config = cls(SSSDConfig(**model, s4=s4), DiffusionConfig(**data["diffusion"]))
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"not a generator configuration: {exc}") from exc
        config.validate()
        return config
