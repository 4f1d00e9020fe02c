"""Synthetic scene-text word crops: printed fonts on surfaces, camera geometry and optics.

``SceneTextGenerator(seed).sample(index)`` is a pure function of (seed, index, installed
assets): it seeds its own ``numpy.random.Generator`` from both, so any worker can render any
index and a cache can be checked against direct rendering.

Pipeline per sample: text (word list / running text / token, casing) -> a printed face that
draws every character (sometimes a sign-painting script face) -> fill / outline / shadow
masks -> letter spacing, arc, rotation, shear, perspective on the masks -> tight crop with a
random margin (sometimes touching neighbouring text or a sign edge) -> coloured procedural
surface, text colour with varied contrast -> lighting, blur (focus / motion), low resolution,
sensor noise, JPEG -> gray uint8, height 20-72 px.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from engine.charset import Charset

from . import effects as fx
from .backgrounds import lighting, scene_background
from .fonts import FontInfo, FontLibrary, default_library, load_font, pick_font
from .text_source import TextSource, default_text_source
from .types import SynthSample

_SALT = 0x5CE7E


def _luma(c: np.ndarray) -> float:
    return float(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])


def _with_luma(col: np.ndarray, target: float) -> np.ndarray:
    """The colour moved towards black or white until its luma is ``target`` (hue kept)."""
    lum = _luma(col)
    if target <= lum:
        out = col * (target / max(lum, 1e-3))
    else:
        out = 255 - (255 - col) * ((255 - target) / max(255 - lum, 1e-3))
    return np.clip(out, 0, 255).astype(np.float32)


class SceneTextGenerator:
    """Printed word crops that look like cropped scene text (IC15 / SVT / IIIT5K style)."""

    domain = "scene"

    def __init__(self, seed: int = 0, fonts: Sequence[FontInfo] | FontLibrary | None = None,
                 texts: TextSource | None = None, charset: Charset | None = None,
                 height_range: tuple[int, int] = (20, 72), script_prob: float = 0.08,
                 max_length: int = 160):
        self.seed = int(seed)
        self.max_length = int(max_length)
        if self.max_length < 1:
            raise ValueError("max_length must be positive")
        self.charset = charset or Charset()
        if fonts is None:
            fonts = default_library()
        if isinstance(fonts, FontLibrary):
            self.fonts = list(fonts.printed) or list(fonts.fonts)
            self.script_fonts = list(fonts.sign_scripts)
        else:
            self.fonts = list(fonts)
            self.script_fonts = []
        if not self.fonts:
            raise RuntimeError("no usable fonts found (install fonts-dejavu-core)")
        self._texts = texts
        self.height_range = height_range
        self.script_prob = script_prob

    @property
    def texts(self) -> TextSource:
        if self._texts is None:
            self._texts = default_text_source()
        return self._texts

    def rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, int(index), _SALT])

    # ---------------------------------------------------------------- text + font

    def _text_and_font(self, rng: np.random.Generator) -> tuple[str, FontInfo]:
        cs = self.charset
        for _ in range(12):
            text = self.texts.scene_text(rng)
            if len(text) > self.max_length:
                continue
            pool = self.fonts
            if self.script_fonts and rng.random() < self.script_prob:
                pool = self.script_fonts
            ok = FontLibrary.covering(pool, text)
            if not ok:
                continue
            font = pick_font(rng, ok)
            if font.caps_only:
                up = cs.normalize(text.upper())
                if up != text:
                    if (cs.unknown_characters(up) or not font.covers(up)
                            or len(up) > self.max_length):
                        continue
                    text = up
            return text, font
        # Fallback: a plain word in any face that draws it.
        text = ("TEXT" if rng.random() < 0.5 else "text")[: self.max_length]
        ok = FontLibrary.covering(self.fonts, text) or self.fonts
        return text, ok[int(rng.integers(len(ok)))]

    # ---------------------------------------------------------------- sample

    def sample(self, index: int) -> SynthSample:
        rng = self.rng(index)
        text, font_info = self._text_and_font(rng)
        size = int(rng.integers(28, 60))
        font = load_font(font_info.path, size)
        # A third are clean (born-digital images, flat signs): plain surface, no heavy
        # geometry or degradation. The rest are camera-captured scene text.
        clean = rng.random() < 0.3

        tracking = 0.0
        if rng.random() < 0.15 and len(text) > 1:
            tracking = float(rng.uniform(-0.06, 0.35)) * size
        outline = int(rng.integers(1, max(2, size // 12) + 1)) if rng.random() < 0.18 else 0
        pad = size // 2 + outline + 2
        fill, baseline = fx.render_text(font, text, pad=pad, tracking=tracking)
        layers = [fill]
        if outline:
            stroked, _ = fx.render_text(font, text, pad=pad, tracking=tracking, stroke=outline)
            if stroked.shape != fill.shape:
                stroked = cv2.resize(stroked, fill.shape[::-1])
            layers.append(np.clip(stroked - fill, 0, 1))
        else:
            layers.append(np.zeros_like(fill))
        if rng.random() < 0.15:  # drop shadow / 3-D extrusion
            dx, dy = rng.integers(-max(2, size // 12), max(3, size // 10) + 1, 2)
            sh = np.roll(np.roll(fill, int(dy), axis=0), int(dx), axis=1)
            if rng.random() < 0.5:
                sh = cv2.GaussianBlur(sh, (0, 0), rng.uniform(0.5, 2.5))
            layers.append(np.clip(sh - fill, 0, 1))
        else:
            layers.append(np.zeros_like(fill))
        m = np.dstack(layers).astype(np.float32)

        # Geometry: arc, slant, rotation, perspective.
        if not clean and rng.random() < 0.10 and len(text) > 3:
            m = fx.arc(m, float(rng.uniform(0.15, 0.6)) * (1 if rng.random() < 0.5 else -1))
        angle = 0.0
        r = rng.random()
        if r < 0.45:
            angle = float(rng.normal(0, 2.5))
        elif r < 0.55 and not clean:
            angle = float(rng.uniform(-20, 20))
        shear = float(rng.normal(0, 0.12)) if rng.random() < 0.2 else 0.0
        if angle or shear:
            m = fx.rotate_shear(m, angle, shear)
        if not clean and rng.random() < 0.35:
            m = fx.perspective(m, rng, float(rng.uniform(0.05, 0.35)))

        # Tight crop + random margin.
        box = fx.ink_bbox(m.max(axis=2))
        if box is None:
            box = (0, 0, m.shape[1], m.shape[0])
        x0, y0, x1, y1 = box
        th = max(4, y1 - y0)
        ml, mr = (rng.uniform(0.0, 0.25, 2) * th).astype(int)
        mt, mb = (rng.uniform(0.0, 0.22, 2) * th).astype(int)
        if rng.random() < 0.06:  # a box that clips the glyph edges a little
            ml, mr, mt, mb = (-(rng.uniform(0, 0.06, 4) * th)).astype(int)
        m = fx.pad_to(m, max(0, mt - y0), max(0, mb - (m.shape[0] - y1)),
                      max(0, ml - x0), max(0, mr - (m.shape[1] - x1)))
        oy, ox = max(0, mt - y0), max(0, ml - x0)
        y0, y1, x0, x1 = y0 + oy, y1 + oy, x0 + ox, x1 + ox
        m = m[max(0, y0 - mt): y1 + mb, max(0, x0 - ml): x1 + mr]
        h, w = m.shape[:2]
        if h < 2 or w < 2:
            m = np.pad(m, ((1, 1), (1, 1), (0, 0)))
            h, w = m.shape[:2]

        # Distractors: neighbouring text at the edges, sign borders.
        extra = np.zeros((h, w), np.float32)
        if rng.random() < 0.12:
            other = self.texts.scene_text(rng)
            if font_info.covers(other):
                om, _ = fx.render_text(font, other, pad=0)
                oh, ow = om.shape
                oy = int(rng.integers(-oh // 2, max(1, h - oh // 2)))
                if rng.random() < 0.5:  # above/below: a cut-off line of text
                    ox = int(rng.integers(-ow // 2, max(1, w)))
                    oy = -int(oh * rng.uniform(0.6, 0.95)) if rng.random() < 0.5 else \
                        h - int(oh * rng.uniform(0.05, 0.4))
                else:
                    ox = -ow + int(rng.integers(1, max(2, size // 3))) if rng.random() < 0.5 \
                        else w - int(rng.integers(1, max(2, size // 3)))
                ys, xs = max(0, oy), max(0, ox)
                ye, xe = min(h, oy + oh), min(w, ox + ow)
                if ye > ys and xe > xs:
                    extra[ys:ye, xs:xe] = om[ys - oy: ye - oy, xs - ox: xe - ox]
        if rng.random() < 0.10:
            thick = int(rng.integers(1, max(2, h // 10) + 1))
            if rng.random() < 0.5:
                yb = int(rng.integers(0, max(1, h // 6))) if rng.random() < 0.5 else \
                    h - 1 - int(rng.integers(0, max(1, h // 6)))
                cv2.line(extra, (0, yb), (w, yb), 1.0, thick)
            else:
                xb = int(rng.integers(0, max(1, w // 10))) if rng.random() < 0.5 else \
                    w - 1 - int(rng.integers(0, max(1, w // 10)))
                cv2.line(extra, (xb, 0), (xb, h), 1.0, thick)

        # Colours. Degradations share a budget so that the label stays readable.
        budget = [0 if clean else 2]

        def spend(p: float, cost: int = 1) -> bool:
            if budget[0] >= cost and rng.random() < p:
                budget[0] -= cost
                return True
            return False

        bg = scene_background(rng, h, w, simple=clean)
        bg_l = float(bg.mean())
        contrast = float(rng.uniform(20, 50)) if spend(0.08, 2) else float(rng.uniform(70, 230))
        # Busy surfaces are toned down so the text stays the strongest signal.
        bg_gray = bg @ np.array([0.299, 0.587, 0.114], np.float32)
        limit = contrast * float(rng.uniform(0.25, 0.5))
        std = float(bg_gray.std())
        if std > limit:
            bg = bg_l + (bg - bg_l) * (limit / std)
        target = bg_l - contrast if (bg_l > 128) ^ (rng.random() < 0.15) else bg_l + contrast
        if not 0 <= target <= 255:  # no room on that side: go the other way
            target = bg_l + contrast if target < 0 else bg_l - contrast
        target = float(np.clip(target, 0, 255))
        col = _with_luma(rng.uniform(0, 255, 3).astype(np.float32), target)
        out_col = np.clip(255 - col + rng.normal(0, 30, 3), 0, 255) if rng.random() < 0.6 \
            else rng.uniform(0, 255, 3)
        shadow_col = np.clip(col * rng.uniform(0, 0.4), 0, 255)
        extra_col = col if rng.random() < 0.6 else rng.uniform(0, 255, 3)
        opacity = float(rng.uniform(0.8, 1.0))

        img = bg
        for mask, c in ((m[:, :, 2], shadow_col), (extra, extra_col), (m[:, :, 1], out_col),
                        (m[:, :, 0], col)):
            a = (mask * opacity)[..., None]
            if a.max() > 0:
                img = img * (1 - a) + c[None, None, :].astype(np.float32) * a
        if not clean and rng.random() < 0.2:  # texture in the paint itself (worn signs)
            n = fx.fractal_noise(rng, h, w, scale=rng.uniform(2, 8), octaves=2)
            img = img + (m[:, :, 0] * n * rng.uniform(10, 40))[..., None]
        gray = cv2.cvtColor(np.clip(img, 0, 255).astype(np.float32), cv2.COLOR_RGB2GRAY)

        # Optics and sensor.
        if not clean and rng.random() < 0.5:
            gray = gray * lighting(rng, h, w, float(rng.uniform(0.1, 0.6)))
        if spend(0.08):  # specular glare
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            cx, cy, rad = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.2, 0.8) * h
            gray = gray + rng.uniform(30, 90) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2)
                                                      / (2 * rad * rad))
        if rng.random() < 0.3:
            gray = cv2.GaussianBlur(gray, (0, 0), float(rng.uniform(0.3, 0.9)))
        elif spend(0.2):
            if rng.random() < 0.6:
                gray = cv2.GaussianBlur(gray, (0, 0), float(rng.uniform(0.9, 1.8)) * size / 40)
            else:
                gray = fx.motion_blur(gray, int(rng.integers(3, 3 + max(1, size // 8))),
                                      float(rng.uniform(0, 180)))
        out_h = int(rng.integers(self.height_range[0], self.height_range[1] + 1))
        gray = fx.resize_height(np.clip(gray, 0, 255).astype(np.float32), out_h)
        if spend(0.25):
            gray = fx.low_resolution(gray, rng, max(12, out_h // 3), max(13, out_h * 2 // 3))
        sigma = float(rng.uniform(4, 12)) if spend(0.15) else float(rng.uniform(0, 4))
        gray = gray + rng.normal(0, sigma, gray.shape).astype(np.float32)
        u8 = fx.finish_gray(gray)
        if rng.random() < 0.5:
            u8 = fx.jpeg(u8, int(rng.integers(15, 45)) if spend(0.2) else
                         int(rng.integers(45, 96)))
        return SynthSample(image=u8, text=text, domain=self.domain)
