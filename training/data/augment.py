"""Augmentation of real training crops (uint8 gray in, uint8 gray out), numpy + OpenCV only.

Deterministic: every random choice comes from the ``np.random.Generator`` passed in, in a
fixed order, so the same generator state gives the same image.

Geometry (rotation, shear, perspective, aspect) maps the whole crop into an enlarged canvas,
so no ink is cut off; only the explicit pad/crop step removes pixels, and horizontally at
most ``crop_x_px`` pixels per side (a line must not lose its first or last letter).
Rotation of a long line is limited so the canvas grows by at most ``rotate_growth`` of the
height (1 degree on a 1:40 line already moves its ends by 70 % of the height).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np

from .samples import check_domain


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities (``p_*``) and magnitudes of each operation."""

    p_geometry: float = 0.7
    rotate_deg: float = 3.0
    rotate_growth: float = 0.35  # max canvas height growth from rotation, fraction of height
    shear: float = 0.25  # max |tan| of the horizontal shear (slant)
    perspective: float = 0.08  # max corner jitter, fraction of the height
    aspect: tuple[float, float] = (0.8, 1.25)  # horizontal stretch range
    p_pad_crop: float = 0.5
    pad_y: float = 0.15  # max padding top/bottom, fraction of height
    crop_y: float = 0.06  # max cropping top/bottom, fraction of height
    pad_x: float = 0.3  # max padding left/right, fraction of height
    crop_x_px: int = 2  # max cropping left/right, pixels
    p_resolution: float = 0.2
    resolution: tuple[float, float] = (0.45, 0.9)  # down-then-up scale factor
    p_morph: float = 0.15  # erosion / dilation (stroke width)
    p_blur: float = 0.2
    blur_sigma: tuple[float, float] = (0.3, 1.3)
    p_motion_blur: float = 0.0
    motion_blur_px: int = 5
    p_color: float = 0.6
    contrast: tuple[float, float] = (0.55, 1.3)
    brightness: tuple[float, float] = (-35.0, 35.0)
    gamma: tuple[float, float] = (0.65, 1.5)
    p_noise: float = 0.3
    noise_sigma: tuple[float, float] = (2.0, 12.0)
    p_invert: float = 0.0
    p_jpeg: float = 0.3
    jpeg_quality: tuple[int, int] = (25, 90)

    def __post_init__(self) -> None:
        if self.crop_x_px < 0 or self.crop_x_px > 3:
            raise ValueError("crop_x_px must be 0..3: cropping further into a line cuts letters")

    def replace(self, **changes) -> "AugmentConfig":
        return dataclasses.replace(self, **changes)


AUGMENT_PRESETS: dict[str, AugmentConfig] = {
    "scene": AugmentConfig(rotate_deg=5.0, shear=0.3, perspective=0.12, aspect=(0.75, 1.3),
                           p_motion_blur=0.1, p_invert=0.05, crop_x_px=2),
    "handwriting": AugmentConfig(rotate_deg=1.5, rotate_growth=0.25, shear=0.35, perspective=0.05,
                                 aspect=(0.85, 1.15), p_morph=0.3, pad_x=0.4, crop_x_px=1,
                                 contrast=(0.6, 1.2), p_invert=0.0),
}


def _uniform(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(lo_hi[0], lo_hi[1]))


def _geometry_transform(h: int, w: int, rng: np.random.Generator,
                        cfg: AugmentConfig) -> tuple[np.ndarray, int, int]:
    """Random homography (rotation, shear, aspect, perspective) and the canvas (w, h) that
    holds the whole transformed crop."""
    angle_limit = cfg.rotate_deg
    if w > 0:  # keep the rotated canvas within rotate_growth of the height
        angle_limit = min(angle_limit, math.degrees(math.asin(min(1.0, cfg.rotate_growth * h / w))))
    angle = math.radians(rng.uniform(-angle_limit, angle_limit))
    shear = rng.uniform(-cfg.shear, cfg.shear)
    stretch = _uniform(rng, cfg.aspect)
    jitter = rng.uniform(-cfg.perspective, cfg.perspective, size=(4, 2)) * h

    cx, cy = w / 2.0, h / 2.0
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    p = src - (cx, cy)
    p[:, 0] = (p[:, 0] + shear * p[:, 1]) * stretch
    c, s = math.cos(angle), math.sin(angle)
    p = p @ np.array([[c, s], [-s, c]])
    p += jitter
    p -= p.min(axis=0)
    out_w = max(2, int(math.ceil(p[:, 0].max())))
    out_h = max(2, int(math.ceil(p[:, 1].max())))
    m = cv2.getPerspectiveTransform(src.astype(np.float32), p.astype(np.float32))
    return m, out_w, out_h


def geometry(image: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """Rotation + shear + aspect + perspective as one homography into an enlarged canvas."""
    h, w = image.shape
    m, out_w, out_h = _geometry_transform(h, w, rng, cfg)
    return cv2.warpPerspective(image, m, (out_w, out_h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def pad_crop(image: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """A few pixels of padding or cropping per side; horizontally at most crop_x_px cut."""
    h, w = image.shape
    ys = rng.uniform(-cfg.crop_y, cfg.pad_y, size=2) * h
    xs = rng.uniform(-cfg.crop_x_px, cfg.pad_x * h, size=2)
    top, bottom = (int(round(v)) for v in ys)
    left, right = (max(-cfg.crop_x_px, int(round(v))) for v in xs)
    # Cropping first (never below 2 px), then padding with the edge.
    y0, y1 = max(0, -top), h - max(0, -bottom)
    x0, x1 = max(0, -left), w - max(0, -right)
    if y1 - y0 < 2:
        y0, y1 = 0, h
    if x1 - x0 < 2:
        x0, x1 = 0, w
    out = image[y0:y1, x0:x1]
    return cv2.copyMakeBorder(out, max(0, top), max(0, bottom), max(0, left), max(0, right),
                              cv2.BORDER_REPLICATE)


def _morph(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h = image.shape[0]
    k = 2 if h <= 80 else 3
    kernel = np.ones((k, k), np.uint8)
    if rng.random() < 0.5:
        return cv2.erode(image, kernel)
    return cv2.dilate(image, kernel)


def _motion_blur(image: np.ndarray, rng: np.random.Generator, length: int) -> np.ndarray:
    n = int(rng.integers(3, max(4, length + 1)))
    kernel = np.zeros((n, n), np.float32)
    kernel[n // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
    kernel = cv2.warpAffine(kernel, rot, (n, n))
    kernel /= max(kernel.sum(), 1e-6)
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REPLICATE)


def _color(image: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    contrast = _uniform(rng, cfg.contrast)
    brightness = _uniform(rng, cfg.brightness)
    gamma = _uniform(rng, cfg.gamma)
    x = image.astype(np.float32) / 255.0
    x = np.power(x, gamma)
    mean = float(x.mean())
    x = (x - mean) * contrast + mean + brightness / 255.0
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _jpeg(image: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    q = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, q])
    if not ok:
        return image
    out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return image if out is None else out


def augment(image: np.ndarray, rng: np.random.Generator, config: AugmentConfig | str) -> np.ndarray:
    """One random augmentation of a uint8 gray crop (H, W) -> uint8 gray (H', W')."""
    cfg = AUGMENT_PRESETS[check_domain(config)] if isinstance(config, str) else config
    if image.dtype != np.uint8 or image.ndim != 2:
        raise ValueError(f"augment expects uint8 gray (H, W), got {image.dtype} {image.shape}")
    out = np.ascontiguousarray(image)
    if min(out.shape) < 2:
        return out.copy()
    # Which operations fire is drawn up front; magnitudes are drawn as each one runs.
    fire = rng.random(10)
    if fire[0] < cfg.p_geometry:
        out = geometry(out, rng, cfg)
    if fire[1] < cfg.p_pad_crop:
        out = pad_crop(out, rng, cfg)
    if fire[2] < cfg.p_resolution:
        f = _uniform(rng, cfg.resolution)
        h, w = out.shape
        small = cv2.resize(out, (max(2, int(w * f)), max(2, int(h * f))), interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if fire[3] < cfg.p_morph:
        out = _morph(out, rng)
    if fire[4] < cfg.p_blur:
        out = cv2.GaussianBlur(out, (0, 0), _uniform(rng, cfg.blur_sigma), borderType=cv2.BORDER_REPLICATE)
    if fire[5] < cfg.p_motion_blur:
        out = _motion_blur(out, rng, cfg.motion_blur_px)
    if fire[6] < cfg.p_color:
        out = _color(out, rng, cfg)
    if fire[7] < cfg.p_noise:
        sigma = _uniform(rng, cfg.noise_sigma)
        noisy = out.astype(np.float32) + rng.normal(0.0, sigma, size=out.shape).astype(np.float32)
        out = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
    if fire[8] < cfg.p_invert:
        out = 255 - out
    if fire[9] < cfg.p_jpeg:
        out = _jpeg(out, rng, cfg)
    return np.ascontiguousarray(out)


@dataclass(frozen=True)
class Augmenter:
    """Picklable callable ``(image, rng) -> image`` for one configuration."""

    config: AugmentConfig

    @classmethod
    def for_domain(cls, domain: str, **overrides) -> "Augmenter":
        return cls(AUGMENT_PRESETS[check_domain(domain)].replace(**overrides))

    def __call__(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return augment(image, rng, self.config)
