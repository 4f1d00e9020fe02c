"""Procedural backgrounds: scene surfaces (colour, float32 RGB) and paper (float32 gray).

Everything is drawn from the caller's ``numpy.random.Generator``. Scene backgrounds may also
crop the wallpapers that Debian packages ship (desktop-base, gnome-backgrounds) when they are
installed; no real training or evaluation image is ever used as a background.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

WALLPAPER_DIRS = (Path("/usr/share/wallpapers"), Path("/usr/share/backgrounds"),
                  Path("/usr/share/desktop-base"))
_WALLPAPERS: list[np.ndarray] | None = None


def fractal_noise(rng: np.random.Generator, h: int, w: int, scale: float = 32.0,
                  octaves: int = 4, persistence: float = 0.5) -> np.ndarray:
    """Smooth value noise in about [-1, 1], features of ``scale`` pixels and finer."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    s = max(2.0, scale)
    for _ in range(octaves):
        gh, gw = max(2, int(h / s) + 2), max(2, int(w / s) + 2)
        grid = rng.standard_normal((gh, gw)).astype(np.float32)
        out += amp * cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= persistence
        s /= 2.0
        if s < 1.5:
            break
    return out / (total * 1.5)


def _colour(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0, 255, 3).astype(np.float32)


def _blend_map(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0, 1)[..., None]
    return a[None, None, :] * (1 - t) + b[None, None, :] * t


def _wallpapers() -> list[np.ndarray]:
    """Downscaled wallpapers from Debian packages (RGB uint8), loaded once per process.

    The downscaled set is cached in ``~/.cache/unitext/wallpapers-<hash>.npz``: decoding the
    full-size PNGs takes seconds, the cache a few milliseconds.
    """
    global _WALLPAPERS
    if _WALLPAPERS is None:
        _WALLPAPERS = _load_wallpapers()
    return _WALLPAPERS


def _load_wallpapers() -> list[np.ndarray]:
    import hashlib

    from .fonts import cache_root
    if True:
        ims = []
        files = []
        for d in WALLPAPER_DIRS:
            if d.is_dir():
                for root, _dirs, names in os.walk(d):
                    for n in names:
                        if n.lower().endswith((".png", ".jpg", ".jpeg", ".webp")) and \
                                not any(x in n.lower() for x in ("logo", "icon", "grub")):
                            files.append(Path(root, n))
        by_dir: dict[Path, Path] = {}
        for f in sorted(files):  # one size per wallpaper (themes ship many)
            prev = by_dir.get(f.parent)
            if prev is None or ("1920x1080" in f.name and "1920x1080" not in prev.name):
                by_dir[f.parent] = f
        files = sorted(by_dir.values())[:40]
        key = hashlib.sha1("|".join(f"{f}:{f.stat().st_size}" for f in files).encode())
        cache = cache_root() / f"wallpapers-{key.hexdigest()[:12]}.npz"
        if not files:
            return []
        try:
            with np.load(cache) as z:
                return [z[k] for k in sorted(z.files, key=lambda k: int(k[1:]))]
        except (OSError, ValueError, KeyError):
            pass
        for f in files:
            im = cv2.imread(str(f), cv2.IMREAD_COLOR)
            if im is None or min(im.shape[:2]) < 200:
                continue
            scale = 480.0 / max(im.shape[:2])
            im = cv2.resize(im, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            ims.append(cv2.cvtColor(im, cv2.COLOR_BGR2RGB))
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(cache.stem + f".tmp{os.getpid()}.npz")
            np.savez(tmp, **{f"w{i}": im for i, im in enumerate(ims)})
            os.replace(tmp, cache)
        except OSError:
            pass
        return ims


def scene_background(rng: np.random.Generator, h: int, w: int, simple: bool = False
                     ) -> np.ndarray:
    """A surface behind scene text: float32 RGB (h, w, 3) in [0, 255].

    ``simple``: only flat paint or gradients (born-digital images, clean signs).
    """
    k = rng.random() * (0.42 if simple else 1.0)
    base, other = _colour(rng), _colour(rng)
    if k < 0.22:  # flat paint, slightly uneven
        bg = np.broadcast_to(base, (h, w, 3)).astype(np.float32).copy()
        bg += fractal_noise(rng, h, w, scale=max(h, w) / 2)[..., None] * rng.uniform(0, 20)
    elif k < 0.42:  # gradient
        ang = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (xx * np.cos(ang) + yy * np.sin(ang))
        t = (t - t.min()) / max(1e-3, t.max() - t.min())
        bg = _blend_map(base, other, t * rng.uniform(0.3, 1.0))
    elif k < 0.60:  # texture noise (concrete, stone, fabric)
        n = fractal_noise(rng, h, w, scale=rng.uniform(3, 40), octaves=5,
                          persistence=rng.uniform(0.4, 0.8))
        bg = _blend_map(base, other, 0.5 + n * rng.uniform(0.2, 0.9))
    elif k < 0.75:  # blurred shapes (out-of-focus scene clutter)
        bg = np.broadcast_to(base, (h, w, 3)).astype(np.float32).copy()
        for _ in range(int(rng.integers(2, 9))):
            c = tuple(float(v) for v in _colour(rng))
            x0, y0 = int(rng.integers(-w // 2, w)), int(rng.integers(-h // 2, h))
            x1, y1 = x0 + int(rng.integers(4, w + 2)), y0 + int(rng.integers(4, h + 2))
            if rng.random() < 0.5:
                cv2.rectangle(bg, (x0, y0), (x1, y1), c, -1)
            else:
                cv2.ellipse(bg, (((x0 + x1) / 2, (y0 + y1) / 2), (abs(x1 - x0), abs(y1 - y0)),
                                 float(rng.uniform(0, 180))), c, -1)
        sigma = rng.uniform(0.5, max(1.0, h / 6))
        bg = cv2.GaussianBlur(bg, (0, 0), sigma)
    elif k < 0.85:  # stripes / planks / bricks
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        period = rng.uniform(3, max(4, h))
        ang = rng.uniform(0, np.pi)
        phase = (xx * np.cos(ang) + yy * np.sin(ang)) / period
        phase += fractal_noise(rng, h, w, scale=max(4, h / 2)) * rng.uniform(0, 2)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * phase)
        if rng.random() < 0.5:
            t = (t > 0.5).astype(np.float32)
            t = cv2.GaussianBlur(t, (0, 0), 0.8)
        bg = _blend_map(base, other, t * rng.uniform(0.2, 1.0))
    else:  # photograph-like: a wallpaper crop, else layered noise
        walls = _wallpapers()
        if walls:
            im = walls[int(rng.integers(len(walls)))]
            scale = rng.uniform(0.3, 2.0)
            ch, cw = max(2, int(h / scale)), max(2, int(w / scale))
            ih, iw = im.shape[:2]
            ch, cw = min(ch, ih), min(cw, iw)
            y, x = int(rng.integers(0, ih - ch + 1)), int(rng.integers(0, iw - cw + 1))
            bg = cv2.resize(im[y:y + ch, x:x + cw], (w, h),
                            interpolation=cv2.INTER_LINEAR).astype(np.float32)
            if rng.random() < 0.5:
                bg = 255 - bg if rng.random() < 0.3 else bg[:, :, ::-1].copy()
        else:
            n1 = fractal_noise(rng, h, w, scale=rng.uniform(8, 60), octaves=6)
            n2 = fractal_noise(rng, h, w, scale=rng.uniform(2, 10), octaves=3)
            bg = _blend_map(base, other, 0.5 + n1 * 0.8) + n2[..., None] * 30
    # Sensor grain on everything.
    bg = bg + rng.normal(0, rng.uniform(0, 6), (h, w, 1)).astype(np.float32)
    return np.clip(bg, 0, 255).astype(np.float32)


def paper_background(rng: np.random.Generator, h: int, w: int,
                     tone: float | None = None) -> np.ndarray:
    """Paper / parchment under handwriting: float32 gray (h, w) in [0, 255]."""
    if tone is None:  # real crops: from bright modern paper to dark yellowed pages
        tone = float(np.clip(rng.normal(200, 25), 120, 250))
    p = np.full((h, w), tone, np.float32)
    # Large-scale unevenness (yellowing, lighting) and blotches.
    p += fractal_noise(rng, h, w, scale=rng.uniform(40, 300), octaves=3) * rng.uniform(3, 25)
    # Fibre / grain.
    p += fractal_noise(rng, h, w, scale=rng.uniform(1.5, 4), octaves=2) * rng.uniform(1, 10)
    # Stains: soft blotches, some with a darker rim (tide lines of old paper).
    for _ in range(int(rng.poisson(0.6))):
        mask = np.zeros((h, w), np.float32)
        cx, cy = rng.uniform(0, w), rng.uniform(-h, 2 * h)
        ax, ay = rng.uniform(5, max(6, w / 3)), rng.uniform(5, 3 * h)
        cv2.ellipse(mask, ((cx, cy), (ax, ay), float(rng.uniform(0, 180))), 1.0, -1)
        soft = cv2.GaussianBlur(mask, (0, 0), rng.uniform(2, 10))
        p -= soft * rng.uniform(5, 35)
        if rng.random() < 0.4:
            rim = cv2.GaussianBlur(mask - cv2.erode(mask, np.ones((5, 5), np.uint8)), (0, 0), 1.5)
            p -= rim * rng.uniform(10, 40)
    # Fold / crease.
    if rng.random() < 0.08:
        x = int(rng.integers(0, w))
        p[:, max(0, x - 1): x + 2] -= rng.uniform(10, 30)
    return p


def lighting(rng: np.random.Generator, h: int, w: int, strength: float) -> np.ndarray:
    """A multiplicative illumination field around 1 (gradient + soft blob)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, 2 * np.pi)
    g = (xx / max(w, 1) - 0.5) * np.cos(ang) + (yy / max(h, 1) - 0.5) * np.sin(ang)
    field = 1.0 + g * strength
    if rng.random() < 0.5:
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.3, 1.5) * max(h, w)
        field += strength * 0.5 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
    return field
