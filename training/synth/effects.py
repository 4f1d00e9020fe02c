"""Geometric and photometric effects shared by the scene and handwriting generators.

Masks are float32 in [0, 1] (ink / text coverage), images float32 in [0, 255]. Every random
choice comes from the caller's ``numpy.random.Generator``.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .backgrounds import fractal_noise

BORDER = cv2.BORDER_CONSTANT


def render_text(font: ImageFont.FreeTypeFont, text: str, pad: int = 0, tracking: float = 0.0,
                stroke: int = 0) -> tuple[np.ndarray, int]:
    """Text mask (float32, 0..1) and the baseline row; optional letter spacing and stroke.

    With ``tracking`` != 0 the text is drawn glyph by glyph (advance + tracking px).
    """
    ascent, descent = font.getmetrics()
    if tracking == 0.0:
        l, t, r, b = font.getbbox(text, anchor="ls", stroke_width=stroke)
        w = int(r - min(l, 0)) + 2 * pad + 2
        top = min(t, -ascent)
        bottom = max(b, descent)
        h = int(bottom - top) + 2 * pad + 2
        im = Image.new("L", (max(1, w), max(1, h)), 0)
        x0, y0 = pad + 1 - min(l, 0), pad + 1 - top
        ImageDraw.Draw(im).text((x0, y0), text, font=font, fill=255, anchor="ls",
                                stroke_width=stroke, stroke_fill=255)
        return np.asarray(im, np.float32) / 255.0, int(y0)
    advances = [font.getlength(c) + tracking for c in text]
    width = int(sum(advances) + abs(tracking) + font.size) + 2 * pad + 2 * stroke + 2
    h = ascent + descent + 2 * pad + 2 * stroke + font.size // 2 + 2
    im = Image.new("L", (max(1, width), max(1, h)), 0)
    d = ImageDraw.Draw(im)
    x = float(pad + stroke + 1)
    y0 = pad + stroke + 1 + ascent + font.size // 4
    for c, adv in zip(text, advances):
        d.text((x, y0), c, font=font, fill=255, anchor="ls", stroke_width=stroke,
               stroke_fill=255)
        x += adv
    return np.asarray(im, np.float32) / 255.0, int(y0)


def line_metrics(font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """(ascent, descent) in pixels, both positive, robust to fonts with broken metrics."""
    ascent, descent = font.getmetrics()
    _l, t, _r, b = font.getbbox("ÀHdlfgjpqy|", anchor="ls")
    asc = max(-t, min(ascent, 2 * -t))
    desc = max(b, min(abs(descent), 2 * b))
    return max(1, int(asc)), max(1, int(desc))


def ink_bbox(mask: np.ndarray, thr: float = 0.1) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) exclusive of the pixels above ``thr``; None when empty."""
    rows = np.flatnonzero(mask.max(axis=1) > thr)
    cols = np.flatnonzero(mask.max(axis=0) > thr)
    if len(rows) == 0 or len(cols) == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def pad_to(mask: np.ndarray, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    return cv2.copyMakeBorder(mask, top, bottom, left, right, BORDER, value=0)


def affine(masks: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.warpAffine(masks, m, size, flags=cv2.INTER_LINEAR, borderMode=BORDER,
                          borderValue=0)


def rotate_shear(masks: np.ndarray, angle_deg: float, shear: float) -> np.ndarray:
    """Rotate about the centre and shear horizontally (slant), growing the canvas to fit."""
    h, w = masks.shape[:2]
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]], np.float64)
    sh = np.array([[1.0, -shear], [0.0, 1.0]], np.float64)
    lin = sh @ rot
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], np.float64) - [w / 2, h / 2]
    moved = corners @ lin.T
    nw = int(np.ceil(moved[:, 0].max() - moved[:, 0].min())) + 2
    nh = int(np.ceil(moved[:, 1].max() - moved[:, 1].min())) + 2
    t = np.array([nw / 2, nh / 2]) - lin @ np.array([w / 2, h / 2])
    m = np.hstack([lin, t[:, None]]).astype(np.float32)
    return affine(masks, m, (nw, nh))


def perspective(masks: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Random keystone: the corners move by up to ``strength`` of the height."""
    h, w = masks.shape[:2]
    d = strength * h
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jit = rng.uniform(-d, d, (4, 2)).astype(np.float32)
    jit[:, 0] *= 1.5
    dst = src + jit
    dst -= dst.min(axis=0)
    nw, nh = int(np.ceil(dst[:, 0].max())) + 1, int(np.ceil(dst[:, 1].max())) + 1
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(masks, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=BORDER,
                               borderValue=0)


def arc(masks: np.ndarray, bend: float) -> np.ndarray:
    """Curve the text along an arc: rows shift by ``bend`` * h at the ends (sign = direction)."""
    h, w = masks.shape[:2]
    amp = abs(bend) * h
    pad = int(np.ceil(amp)) + 1
    src = pad_to(masks, pad, pad, 0, 0)
    hh = src.shape[0]
    xs = np.arange(w, dtype=np.float32)
    u = (xs - w / 2) / max(1.0, w / 2)
    dy = (u * u) * amp * np.sign(bend) - (amp * np.sign(bend)) / 2
    map_x = np.broadcast_to(xs[None, :], (hh, w)).astype(np.float32)
    map_y = (np.arange(hh, dtype=np.float32)[:, None] + dy[None, :]).astype(np.float32)
    return cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, borderMode=BORDER, borderValue=0)


def elastic(mask: np.ndarray, rng: np.random.Generator, amplitude: float, scale: float
            ) -> np.ndarray:
    """Smooth random displacement (pixels of ``amplitude``, features of ``scale`` px)."""
    h, w = mask.shape[:2]
    dx = fractal_noise(rng, h, w, scale=scale, octaves=2) * amplitude
    dy = fractal_noise(rng, h, w, scale=scale, octaves=2) * amplitude
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(mask, gx + dx, gy + dy, cv2.INTER_LINEAR, borderMode=BORDER, borderValue=0)


def wave(mask: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """Slow vertical undulation along x (baseline drift of a whole line)."""
    h, w = mask.shape[:2]
    period = rng.uniform(0.6, 2.5) * max(w, 1)
    phase = rng.uniform(0, 2 * np.pi)
    xs = np.arange(w, dtype=np.float32)
    dy = amplitude * np.sin(2 * np.pi * xs / period + phase)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(mask, gx, gy + dy[None, :].astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=BORDER, borderValue=0)


def stroke_width(mask: np.ndarray, rng: np.random.Generator, delta: float) -> np.ndarray:
    """Thicken (delta > 0) or thin (delta < 0) strokes by about ``delta`` pixels."""
    if abs(delta) < 0.15:
        return mask
    k = int(min(3, max(1, round(abs(delta))))) * 2 + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    out = cv2.dilate(mask, kernel) if delta > 0 else cv2.erode(mask, kernel)
    frac = min(1.0, abs(delta) / ((k - 1) / 2))
    return mask * (1 - frac) + out * frac


def motion_blur(img: np.ndarray, length: int, angle: float) -> np.ndarray:
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0
    m = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    k = cv2.warpAffine(k, m, (length, length))
    k /= max(k.sum(), 1e-6)
    return cv2.filter2D(img, -1, k)


def jpeg(img_u8: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img_u8, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        return img_u8
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


def resize_height(img: np.ndarray, height: int) -> np.ndarray:
    h, w = img.shape[:2]
    if h == height:
        return img
    nw = max(1, int(round(w * height / h)))
    interp = cv2.INTER_AREA if height < h else cv2.INTER_CUBIC
    return cv2.resize(img, (nw, height), interpolation=interp)


def low_resolution(img: np.ndarray, rng: np.random.Generator, min_h: int, max_h: int
                   ) -> np.ndarray:
    """Down-scale to a small height and back (camera resolution, distant text)."""
    h, w = img.shape[:2]
    th = int(rng.integers(min_h, max_h + 1))
    if th >= h:
        return img
    small = cv2.resize(img, (max(1, int(w * th / h)), th), interpolation=cv2.INTER_AREA)
    interp = cv2.INTER_LINEAR if rng.random() < 0.5 else cv2.INTER_CUBIC
    return cv2.resize(small, (w, h), interpolation=interp)


def finish_gray(img: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)
