"""Crop -> model input: grayscale, fixed height, width kept in proportion, batched with padding.

Training and inference call the same functions, so the model always sees one convention.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch import Tensor

from .model import WIDTH_STRIDE

MIN_WIDTH = 16


def to_gray(image: np.ndarray) -> np.ndarray:
    """uint8 grayscale (H, W) from a grayscale, RGB or RGBA uint8 array."""
    if image.ndim == 2:
        gray = image
    elif image.ndim == 3 and image.shape[2] == 1:
        gray = image[:, :, 0]
    elif image.ndim == 3 and image.shape[2] in (3, 4):
        gray = cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_RGB2GRAY)
    else:
        raise ValueError(f"unsupported crop shape {image.shape}")
    if gray.dtype != np.uint8:
        gray = np.clip(gray, 0, 255).astype(np.uint8)
    return gray


def target_width(width: int, height: int, model_height: int, max_width: int) -> int:
    """Width after scaling to ``model_height`` (aspect kept), capped, rounded up to the stride."""
    w = max(MIN_WIDTH, int(round(width * model_height / max(height, 1))))
    w = min(w, max_width)
    return -(-w // WIDTH_STRIDE) * WIDTH_STRIDE


def prepare_crop(image: np.ndarray, model_height: int, max_width: int) -> np.ndarray:
    """float32 (model_height, W) in [-1, 1], W a multiple of the encoder's width stride."""
    gray = to_gray(image)
    h, w = gray.shape
    if h < 1 or w < 1:
        raise ValueError("empty crop")
    new_w = target_width(w, h, model_height, max_width)
    scaled_w = min(new_w, max(1, int(round(w * model_height / h))))
    interp = cv2.INTER_AREA if h > model_height else cv2.INTER_CUBIC
    resized = cv2.resize(gray, (scaled_w, model_height), interpolation=interp)
    if scaled_w < new_w:  # extend with the crop's own edge colour up to the stride multiple
        resized = cv2.copyMakeBorder(resized, 0, 0, 0, new_w - scaled_w, cv2.BORDER_REPLICATE)
    x = resized.astype(np.float32)
    lo, hi = np.percentile(x, (1, 99))
    if hi - lo < 8:  # flat crop: keep it flat rather than amplify noise
        lo, hi = x.min(), x.min() + 255.0
    x = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return (x * 2.0 - 1.0).astype(np.float32)


def collate(crops: Sequence[np.ndarray]) -> tuple[Tensor, Tensor]:
    """Right-pad prepared crops to the widest: images (B, 1, H, Wmax), widths (B,)."""
    if not crops:
        raise ValueError("no crops to batch")
    height = crops[0].shape[0]
    widths = [c.shape[1] for c in crops]
    batch = np.zeros((len(crops), 1, height, max(widths)), dtype=np.float32)
    for i, c in enumerate(crops):
        batch[i, 0, :, : c.shape[1]] = c
    return torch.from_numpy(batch), torch.tensor(widths, dtype=torch.long)
