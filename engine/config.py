"""Model configuration: one dataclass sizes every variant, and is saved inside each model file."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass
class ModelConfig:
    """Size and input geometry of the recognizer (ResNet -> BiLSTM -> attention decoder).

    The encoder halves the width twice (stride 4 overall) and collapses the height, so a
    crop of width W gives W/4 encoder positions: 32 for a 32x128 word, 320 for a 1:40 line.
    """

    height: int = 32
    channels: tuple[int, ...] = (32, 64, 128, 256)
    blocks: tuple[int, ...] = (1, 2, 2, 1)
    lstm_hidden: int = 256
    lstm_layers: int = 1
    attention_dim: int = 256
    decoder_hidden: int = 256
    embedding_dim: int = 64
    max_length: int = 160
    dropout: float = 0.1
    max_width: int = 2400  # input pixels; a wider crop is downscaled to fit (aspect kept)
    # An extra linear CTC head on the encoder, used only for an auxiliary training loss
    # (joint CTC-attention, Kim et al. 2017): it teaches the encoder where characters are,
    # so the attention decoder learns to align on long handwritten lines, where a content-
    # only attention trained from scratch can stay stuck at a language model's guesses.
    # Inference never reads it.
    ctc_aux: bool = False
    num_classes: int = 0  # set from the charset when the model is built

    def __post_init__(self) -> None:
        self.channels = tuple(int(c) for c in self.channels)
        self.blocks = tuple(int(b) for b in self.blocks)
        if len(self.channels) != 4 or len(self.blocks) != 4:
            raise ValueError("channels and blocks need 4 stages each")
        if self.height % 16 != 0 or self.height < 16:
            raise ValueError(f"height must be a multiple of 16, got {self.height}")
        if self.max_length < 1:
            raise ValueError("max_length must be positive")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["channels"] = list(self.channels)
        d["blocks"] = list(self.blocks)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        """Strict: an unknown key is an error, never silently ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**data)


PRESETS: dict[str, ModelConfig] = {
    # ~1M parameters: tests and quick experiments.
    "tiny": ModelConfig(channels=(16, 32, 48, 64), blocks=(1, 1, 1, 1), lstm_hidden=64,
                        attention_dim=64, decoder_hidden=96, embedding_dim=32),
    # ~4M parameters: the CPU-budget model (cpu-budget.md: ~130 word samples/s on 2 cores).
    "small": ModelConfig(),
    # ~10M parameters: for GPU runs.
    "base": ModelConfig(channels=(48, 96, 192, 384), blocks=(1, 2, 3, 2), lstm_hidden=256,
                        lstm_layers=2, attention_dim=256, decoder_hidden=384),
}


def preset(name: str, **overrides: Any) -> ModelConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown model preset {name!r}; choose from {sorted(PRESETS)}")
    return dataclasses.replace(PRESETS[name], **overrides)


def field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(ModelConfig)]

