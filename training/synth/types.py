"""The sample type every generator returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DOMAINS = ("scene", "handwriting")


@dataclass
class SynthSample:
    """One rendered crop: uint8 grayscale (H, W), its label (charset-normalised), its domain."""

    image: np.ndarray
    text: str
    domain: str  # "scene" or "handwriting"

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"unknown domain {self.domain!r}")
