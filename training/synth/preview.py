"""Contact sheets: look at the synthetic data, and compare it with real training crops.

``write_contact_sheet(path, n_per_kind=24, seed=0)`` (``unitext train synth-preview``) draws
three sections: scene words, handwritten words, handwritten lines; every crop has its label
printed under it. ``write_comparison_sheet(path, ...)`` puts synthetic crops next to real
crops from the *training* sets (``train-scene-words``, ``train-hw-lines``) only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .types import SynthSample

SHEET_WIDTH = 1600
GAP = 8


def _label_font(size: int = 12) -> ImageFont.ImageFont:
    for p in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
              "/usr/share/fonts/TTF/DejaVuSans.ttf"):
        if os.path.exists(p):
            return ImageFont.truetype(p, size)
    try:
        from .fonts import default_library
        lib = default_library()
        if lib.printed:
            return ImageFont.truetype(lib.printed[0].path, size)
    except Exception:
        pass
    return ImageFont.load_default()


def _fit(img: np.ndarray, height: int, max_width: int) -> Image.Image:
    im = Image.fromarray(img)
    w = max(1, int(round(im.width * height / max(1, im.height))))
    im = im.resize((w, height), Image.BILINEAR)
    if w > max_width:
        im = im.crop((0, 0, max_width, height))
    return im


def _section(title: str, items: Sequence[tuple[np.ndarray, str]], height: int,
             width: int = SHEET_WIDTH) -> Image.Image:
    """Crops flowed left to right, each with its label under it."""
    font = _label_font(12)
    tfont = _label_font(16)
    label_h = 16
    placed = []
    x, y = GAP, 28
    row_h = height + label_h + GAP
    for img, text in items:
        im = _fit(img, height, width - 2 * GAP)
        label_w = int(font.getlength(text)) + 4
        cell_w = max(im.width, min(label_w, width - 2 * GAP))
        if x + cell_w > width - GAP and x > GAP:
            x, y = GAP, y + row_h
        placed.append((im, text, x, y, cell_w))
        x += cell_w + 2 * GAP
    sheet = Image.new("RGB", (width, y + row_h + GAP), (255, 255, 255))
    d = ImageDraw.Draw(sheet)
    d.text((GAP, 4), title, font=tfont, fill=(20, 20, 120))
    for im, text, px, py, cw in placed:
        sheet.paste(im.convert("RGB"), (px, py))
        d.rectangle((px - 1, py - 1, px + im.width, py + height), outline=(200, 200, 200))
        shown = text
        while font.getlength(shown) > cw and len(shown) > 4:
            shown = shown[:-2]
        if shown != text:
            shown = shown[:-1] + "…"
        d.text((px, py + height + 1), shown, font=font, fill=(160, 0, 0))
    return sheet


def _stack(sections: Sequence[Image.Image]) -> Image.Image:
    h = sum(s.height for s in sections) + GAP * len(sections)
    w = max(s.width for s in sections)
    out = Image.new("RGB", (w, h), (255, 255, 255))
    y = 0
    for s in sections:
        out.paste(s, (0, y))
        y += s.height
        ImageDraw.Draw(out).line((0, y + GAP // 2, w, y + GAP // 2), fill=(120, 120, 120))
        y += GAP
    return out


def synthetic_samples(n_per_kind: int = 24, seed: int = 0) -> dict[str, list[SynthSample]]:
    """n samples of each kind: scene words, handwritten words, handwritten lines."""
    from .handwriting import HandwritingGenerator
    from .scene import SceneTextGenerator
    gens = {"scene words": SceneTextGenerator(seed),
            "handwritten words": HandwritingGenerator(seed, mode="word"),
            "handwritten lines": HandwritingGenerator(seed, mode="line")}
    return {k: [g.sample(i) for i in range(n_per_kind)] for k, g in gens.items()}


def write_contact_sheet(path: str | os.PathLike, n_per_kind: int = 24, seed: int = 0
                        ) -> Path:
    """A PNG with scene words, handwritten words and handwritten lines, labels under each."""
    samples = synthetic_samples(n_per_kind, seed)
    heights = {"scene words": 40, "handwritten words": 40, "handwritten lines": 40}
    sections = [_section(f"synthetic {k} (seed {seed}, indices 0-{n_per_kind - 1})",
                         [(s.image, s.text) for s in v], heights[k])
                for k, v in samples.items()]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _stack(sections).save(path)
    return path


def _default_shared() -> Path:
    env = os.environ.get("UNITEXT_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


def real_training_samples(name: str, n: int, seed: int = 0,
                          shared_dir: str | os.PathLike | None = None
                          ) -> list[tuple[np.ndarray, str]]:
    """n random (image, label) pairs from a TRAINING set under shared/data (never eval sets)."""
    if not name.startswith("train-"):
        raise ValueError("only training sets may be used for comparisons")
    root = Path(shared_dir) if shared_dir else _default_shared()
    root = root / "data" / name
    lines = (root / "labels.tsv").read_text("utf-8").splitlines()
    rng = np.random.default_rng(seed)
    out = []
    for k in rng.choice(len(lines), size=min(n, len(lines)), replace=False):
        rel, _, text = lines[int(k)].partition("\t")
        im = Image.open(root / rel).convert("L")
        out.append((np.asarray(im), text))
    return out


def write_comparison_sheet(path: str | os.PathLike, n: int = 12, seed: int = 0,
                           shared_dir: str | os.PathLike | None = None) -> Path:
    """Synthetic next to real training crops: scene words, then handwritten lines."""
    samples = synthetic_samples(n, seed)
    sections = []
    sections.append(_section("synthetic scene words", [(s.image, s.text)
                                                       for s in samples["scene words"]], 40))
    sections.append(_section("REAL train-scene-words", real_training_samples(
        "train-scene-words", n, seed, shared_dir), 40))
    sections.append(_section("synthetic handwritten lines", [
        (s.image, s.text) for s in samples["handwritten lines"]], 40))
    sections.append(_section("REAL train-hw-lines", real_training_samples(
        "train-hw-lines", n, seed, shared_dir), 40))
    sections.append(_section("synthetic handwritten words", [
        (s.image, s.text) for s in samples["handwritten words"]], 40))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _stack(sections).save(path)
    return path


if __name__ == "__main__":  # python -m training.synth.preview OUT.png [--compare]
    import sys
    out = sys.argv[1] if len(sys.argv) > 1 else "synth-preview.png"
    if "--compare" in sys.argv:
        print(write_comparison_sheet(out))
    else:
        print(write_contact_sheet(out))
