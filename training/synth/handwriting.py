"""Synthetic handwritten words and lines on paper, like crops from scanned manuscripts.

``HandwritingGenerator(seed, mode).sample(index)`` is a pure function of (seed, index,
installed assets). ``mode`` is ``"word"`` (one token, no space), ``"line"`` (two or more
words, at most ``max_length`` characters) or ``"mixed"`` (a line with probability
``line_prob``).

Pipeline per sample: text (real sentences / manuscript lines / word sequences / dates) -> a
handwriting face that draws every character (printed oblique faces when none is installed)
-> word by word rendering with size, rotation, baseline drift and spacing jitter, sometimes
glyph by glyph with small offsets -> slant (shear), wavy baseline, elastic distortion, stroke
width change -> fragments of the neighbouring lines above and below -> crop around the line
-> paper (tone, blotches, fibres, stains), ink tone and uneven flow (iron-gall brown, faded,
blue, black all end up as gray levels), ruled lines, bleed-through, scanner blur and noise,
JPEG -> gray uint8, height ~48-64 px like the real line crops.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from engine.charset import Charset

from . import effects as fx
from .backgrounds import fractal_noise, lighting, paper_background
from .fonts import FontInfo, FontLibrary, default_library, family_weights, load_font
from .text_source import TextSource, default_text_source
from .types import SynthSample

_SALT = 0x4A4D
BOOK_FAMILIES = ("junicode", "cardo", "im fell", "eb garamond")
MODES = ("word", "line", "mixed")


class HandwritingGenerator:
    """Handwritten word or line crops (Hooker letters, Poilus wills, IAM-like)."""

    domain = "handwriting"

    def __init__(self, seed: int = 0, mode: str = "mixed", max_length: int = 160,
                 fonts: Sequence[FontInfo] | FontLibrary | None = None,
                 texts: TextSource | None = None, charset: Charset | None = None,
                 line_prob: float = 0.6, height_range: tuple[int, int] = (48, 64),
                 neighbour_prob: float = 0.55):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.seed = int(seed)
        self.mode = mode
        self.max_length = int(max_length)
        if self.max_length < 1:
            raise ValueError("max_length must be positive")
        self.charset = charset or Charset()
        if fonts is None:
            fonts = default_library()
        self.book_fonts: list[FontInfo] = []
        if isinstance(fonts, FontLibrary):
            # Book faces of manuscript style draw what no handwriting face has (MUFI signs).
            self.book_fonts = [f for f in fonts.printed
                               if any(b in f.family.lower() for b in BOOK_FAMILIES)]
            fonts = fonts.handwriting_or_fallback()
        self.fonts = list(fonts)
        if not self.fonts:
            raise RuntimeError("no usable fonts found (install fonts-dejavu-core)")
        # Display scripts (Lobster, Kaushan...) are less like manuscripts: drawn less often.
        w = np.array([0.3 if f.sign_script else (0.15 if f.caps_only else 1.0)
                      for f in self.fonts]) * family_weights(self.fonts)
        self._weights = w / w.sum()
        self._texts = texts
        self.line_prob = line_prob
        self.height_range = height_range
        self.neighbour_prob = neighbour_prob

    @property
    def texts(self) -> TextSource:
        if self._texts is None:
            self._texts = default_text_source()
        return self._texts

    def rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, int(index), _SALT])

    # ---------------------------------------------------------------- text + font

    def _line_text(self, rng: np.random.Generator) -> str:
        return self.texts.hw_line(rng, self.max_length)

    def _text(self, rng: np.random.Generator, is_line: bool) -> str:
        if is_line:
            return self._line_text(rng)
        w = self.texts.hw_word(rng)[: self.max_length]
        return w

    def _pick_font(self, rng: np.random.Generator, text: str) -> tuple[str, FontInfo] | None:
        need = set(text.replace(" ", ""))
        idx = [i for i, f in enumerate(self.fonts) if f.covered.issuperset(need)]
        if not idx:
            books = [f for f in self.book_fonts if f.covered.issuperset(need)]
            if books and rng.random() < 0.5:
                return text, books[int(rng.choice(len(books), p=family_weights(books)
                                                  / family_weights(books).sum()))]
            return None
        p = self._weights[idx] / self._weights[idx].sum()
        font = self.fonts[idx[int(rng.choice(len(idx), p=p))]]
        if font.caps_only:
            up = self.charset.normalize(text.upper())
            if up != text:
                if (len(up) > self.max_length or self.charset.unknown_characters(up)
                        or not font.covers(up)):
                    return None
                text = up
        return text, font

    def _text_and_font(self, rng: np.random.Generator, is_line: bool) -> tuple[str, FontInfo]:
        for _ in range(12):
            text = self._text(rng, is_line)
            if not text or (not is_line and " " in text):
                continue
            if is_line and len(text.split(" ")) < 2:
                continue
            got = self._pick_font(rng, text)
            if got is not None:
                return got
        text = ("the letter" if is_line else "letter")[: self.max_length]
        ok = FontLibrary.covering(self.fonts, text) or self.fonts
        return text, ok[int(rng.integers(len(ok)))]

    # ---------------------------------------------------------------- rendering

    def _render_line(self, rng: np.random.Generator, font_info: FontInfo, size: int,
                     text: str, style: dict) -> tuple[np.ndarray, int]:
        """Ink mask of one line written word by word; returns (mask, baseline row)."""
        font = load_font(font_info.path, size)
        ascent, descent = fx.line_metrics(font)
        words = text.split(" ")
        space = max(0.2 * size, min(font.getlength(" "), 0.32 * size)) * style["space"]
        pieces = []
        for w in words:
            s = float(np.clip(rng.normal(1.0, style["size_jitter"]), 0.8, 1.25))
            wf = load_font(font_info.path, max(6, int(round(size * s))))
            if style["glyph_jitter"] > 0 and len(w) > 1:
                mask, base = self._render_glyphs(rng, wf, w, style["glyph_jitter"] * size)
            else:
                mask, base = fx.render_text(wf, w, pad=2)
            rot = float(rng.normal(0, style["word_rot"]))
            if abs(rot) > 0.2:
                h0 = mask.shape[0]
                mask = fx.rotate_shear(mask, rot, 0.0)
                base += (mask.shape[0] - h0) // 2
            box = fx.ink_bbox(mask, 0.05)
            if box is not None:  # keep only the inked columns (+1 px)
                mask = mask[:, max(0, box[0] - 1): box[2] + 1]
            pieces.append((mask, base))
        height = int((ascent + descent) * 2.0) + 8
        top_base = int(ascent * 1.25) + 4
        total_w = int(sum(p[0].shape[1] for p in pieces) + space * 1.9 * len(pieces)) + 8
        canvas = np.zeros((height, total_w), np.float32)
        x = 4.0
        drift = 0.0
        for mask, base in pieces:
            drift = float(np.clip(drift + rng.normal(0, style["drift"] * size),
                                  -0.25 * size, 0.25 * size))
            y = int(round(top_base - base + drift))
            xi = int(round(x))
            h, w = mask.shape
            ys, ye = max(0, y), min(height, y + h)
            xe = min(total_w, xi + w)
            if ye > ys and xe > xi:
                region = canvas[ys:ye, xi:xe]
                np.maximum(region, mask[ys - y: ye - y, : xe - xi], out=region)
            x += w + space * float(rng.uniform(0.7, 1.3))
        box = fx.ink_bbox(canvas)
        right = min(total_w, (box[2] if box else int(x)) + 4)
        return canvas[:, :right], top_base

    @staticmethod
    def _render_glyphs(rng: np.random.Generator, font, word: str, jitter: float
                       ) -> tuple[np.ndarray, int]:
        """A word drawn glyph by glyph with small random offsets (print-like hands)."""
        ascent, descent = fx.line_metrics(font)
        h = ascent + descent + 2 * int(jitter + 3) + 4
        base = ascent + int(jitter + 3) + 2
        width = int(font.getlength(word) + len(word) * (jitter + 1) + font.size) + 8
        out = np.zeros((h, width), np.float32)
        x = 2.0
        for c in word:
            gm, gb = fx.render_text(font, c, pad=1)
            dx, dy = rng.normal(0, jitter, 2)
            y = int(round(base - gb + dy))
            xi = int(round(x + dx))
            gh, gw = gm.shape
            ys, ye = max(0, y), min(h, y + gh)
            xs, xe = max(0, xi), min(width, xi + gw)
            if ye > ys and xe > xs:
                region = out[ys:ye, xs:xe]
                np.maximum(region, gm[ys - y: ye - y, xs - xi: xe - xi], out=region)
            x += font.getlength(c) + rng.normal(0, jitter * 0.5)
        return out, base

    # ---------------------------------------------------------------- sample

    def sample(self, index: int) -> SynthSample:
        rng = self.rng(index)
        if self.mode == "word":
            is_line = False
        elif self.mode == "line":
            is_line = True
        else:
            is_line = rng.random() < self.line_prob
        text, font_info = self._text_and_font(rng, is_line)

        # Render size: the face's ascender-descender span at 38-56 px whatever its design
        # size (Sacramento is tiny at a nominal size where Rock Salt is huge).
        a, d = fx.line_metrics(load_font(font_info.path, 40))
        size = int(np.clip(40 * rng.uniform(38, 56) / max(1, a + d), 14, 120))
        style = {
            "space": float(rng.uniform(0.55, 1.2)),
            "size_jitter": float(rng.uniform(0.0, 0.06)),
            "word_rot": float(rng.uniform(0.0, 2.0)),
            "drift": float(rng.uniform(0.0, 0.04)),
            "glyph_jitter": float(rng.uniform(0.01, 0.035)) if rng.random() < 0.3 else 0.0,
        }
        mask, base = self._render_line(rng, font_info, size, text, style)
        h, w = mask.shape

        # Neighbouring lines: their descenders / ascenders cut into the crop.
        asc, desc = fx.line_metrics(load_font(font_info.path, size))
        spacing = (asc + desc) * float(rng.uniform(0.85, 1.3))
        above = below = None
        if rng.random() < self.neighbour_prob:
            above = self._neighbour(rng, font_info, size, style)
        if rng.random() < self.neighbour_prob:
            below = self._neighbour(rng, font_info, size, style)
        pad_v = int(spacing) + 2
        mask = fx.pad_to(mask, pad_v, pad_v, 0, 0)
        layers = [mask]
        for nb, sign in ((above, -1), (below, 1)):
            lay = np.zeros_like(mask)
            if nb is not None:
                nm, nbase = nb
                ox = int(rng.integers(-max(1, w // 8), max(2, w // 8)))
                oy = pad_v + base + int(sign * spacing) - nbase
                nh, nw = nm.shape
                ys, ye = max(0, oy), min(lay.shape[0], oy + nh)
                xs, xe = max(0, ox), min(lay.shape[1], ox + nw)
                if ye > ys and xe > xs:
                    lay[ys:ye, xs:xe] = nm[ys - oy: ye - oy, xs - ox: xe - ox]
            layers.append(lay)
        m = np.dstack(layers)

        # Slant, wavy baseline, small rotation of the whole line.
        shear = float(rng.normal(0.1, 0.18)) if rng.random() < 0.8 else 0.0
        angle = float(rng.normal(0, 0.8))
        if abs(shear) > 0.01 or abs(angle) > 0.1:
            m = fx.rotate_shear(m, angle, shear)
        main = m[:, :, 0]
        if rng.random() < 0.5:
            amp = float(rng.uniform(0.5, 0.12 * size))
            m = np.dstack([fx.wave(m[:, :, i], rng, amp) for i in range(3)])
            main = m[:, :, 0]
        box = fx.ink_bbox(main)
        if box is None:
            box = (0, 0, main.shape[1], main.shape[0])
        x0, y0, x1, y1 = box

        # Crop: the line's ink plus a margin; neighbour lines are cut by it.
        th = y1 - y0
        mt = int(rng.uniform(0.02, 0.3) * th)
        mb = int(rng.uniform(0.02, 0.3) * th)
        ml = int(rng.uniform(0.0, 0.6) * size)
        mr = int(rng.uniform(0.0, 0.6) * size)
        m = fx.pad_to(m, mt, mb, ml, mr)
        m = m[y0: y1 + mt + mb, x0: x1 + ml + mr]
        ink = np.clip(m.max(axis=2), 0, 1)
        ch, cw = ink.shape

        # Elastic distortion and stroke width (pen, pressure).
        if rng.random() < 0.7:
            ink = fx.elastic(ink, rng, float(rng.uniform(0.5, 2.0)),
                             float(rng.uniform(0.5, 1.5) * size))
        ink = fx.stroke_width(ink, rng, float(np.clip(rng.normal(0.25, 0.5), -0.4, 1.8)))
        if rng.random() < 0.5:  # pen pressure along the line
            ink = ink * (1 - 0.25 * np.clip(fractal_noise(rng, ch, cw, scale=size * 2,
                                                          octaves=2) + 0.3, 0, 1))

        # Paper, ink, artefacts.
        paper = paper_background(rng, ch, cw)
        paper_tone = float(np.median(paper))
        r = rng.random()
        if r < 0.6:  # black / dark ink
            ink_level = float(rng.uniform(0, 45))
        elif r < 0.9:  # iron-gall brown, blue: mid gray once scanned to gray
            ink_level = float(rng.uniform(40, 95))
        else:  # faded
            ink_level = float(rng.uniform(90, 130))
        ink_level = min(ink_level, paper_tone - 70)
        flow = 1 + fractal_noise(rng, ch, cw, scale=rng.uniform(3, 15), octaves=2) * \
            float(rng.uniform(0.0, 0.25))
        if rng.random() < 0.2:  # bleed-through: the back page's writing, mirrored and faint
            other = self._bleed(rng, font_info, size, ch, cw)
            paper = paper - other * float(rng.uniform(8, 35))
        if rng.random() < 0.18:  # ruled / printed lines
            yl = int(np.clip(base_row(m[:, :, 0]) + rng.integers(-2, 4), 0, ch - 1))
            t = int(rng.integers(1, 3))
            paper[max(0, yl): yl + t, :] -= float(rng.uniform(20, 70))
            if rng.random() < 0.3 and ch > 20:
                y2 = max(0, yl - int(size * rng.uniform(1.0, 1.4)))
                paper[y2: y2 + t, :] -= float(rng.uniform(20, 70))
        a = np.clip(ink * flow, 0, 1)
        img = paper * (1 - a) + ink_level * a
        if rng.random() < 0.5:
            img = img * lighting(rng, ch, cw, float(rng.uniform(0.05, 0.3)))
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.2, 0.7)))

        out_h = 64 if rng.random() < 0.7 else int(rng.integers(self.height_range[0],
                                                               self.height_range[1] + 1))
        img = fx.resize_height(img.astype(np.float32), out_h)
        if rng.random() < 0.15:
            img = fx.low_resolution(img, rng, max(24, out_h // 2), max(25, out_h * 3 // 4))
        img = img + rng.normal(0, rng.uniform(0.5, 6), img.shape).astype(np.float32)
        u8 = fx.finish_gray(img)
        if rng.random() < 0.7:
            u8 = fx.jpeg(u8, int(rng.integers(45, 96)))
        return SynthSample(image=u8, text=text, domain=self.domain)

    def _neighbour(self, rng: np.random.Generator, font_info: FontInfo, size: int,
                   style: dict) -> tuple[np.ndarray, int] | None:
        for _ in range(3):
            t = self.texts.hw_line(rng, 200)
            if font_info.covers(t):
                return self._render_line(rng, font_info, size, t, style)
        return None

    def _bleed(self, rng: np.random.Generator, font_info: FontInfo, size: int, h: int,
               w: int) -> np.ndarray:
        t = self.texts.hw_line(rng, 200)
        if not font_info.covers(t):
            return np.zeros((h, w), np.float32)
        mask, _ = self._render_line(rng, font_info, size, t, {
            "space": 1.2, "size_jitter": 0.03, "word_rot": 1.0, "drift": 0.02,
            "glyph_jitter": 0.0})
        mask = cv2.GaussianBlur(mask[:, ::-1], (0, 0), float(rng.uniform(0.8, 2.0)))
        out = np.zeros((h, w), np.float32)
        oy = int(rng.integers(-mask.shape[0] // 2, max(1, h - mask.shape[0] // 2)))
        ys, ye = max(0, oy), min(h, oy + mask.shape[0])
        xe = min(w, mask.shape[1])
        if ye > ys and xe > 0:
            out[ys:ye, :xe] = mask[ys - oy: ye - oy, :xe]
        return out


def base_row(mask: np.ndarray) -> int:
    """The row under most of the ink (the baseline estimate): the last dense row."""
    prof = mask.sum(axis=1)
    if prof.max() <= 0:
        return mask.shape[0] - 1
    dense = np.flatnonzero(prof > 0.35 * prof.max())
    return int(dense[-1])
