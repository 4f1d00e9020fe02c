"""Random model inputs for tests of the recognizer and its inference copy."""

from __future__ import annotations

import torch


def random_batch(widths: list[int], height: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (B, 1, height, max width) in [-1, 1], each right-padded with zeros past its own
    width, and those widths: a batch as ``engine.preprocess.collate`` builds one."""
    g = torch.Generator().manual_seed(seed)
    images = torch.zeros(len(widths), 1, height, max(widths))
    for i, w in enumerate(widths):
        images[i, :, :, :w] = torch.rand(1, height, w, generator=g) * 2 - 1
    return images, torch.tensor(widths)
