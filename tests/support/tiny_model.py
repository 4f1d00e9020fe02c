"""A tiny model trained in the test session on rendered words, so tests exercise a model
that has really learnt to read (not random weights asserted to output something)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

WORDS = ["UniText", "OCR", "Paris", "1850", "will", "THE", "POND", "Thai", "letter", "été"]


def font(size: int = 28) -> ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                 "LiberationSans-Regular.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def render_word(text: str, size: int = 28, pad: int = 6, ink: int = 20, paper: int = 235) -> np.ndarray:
    """A clean grayscale crop of ``text`` (uint8, H x W)."""
    f = font(size)
    left, top, right, bottom = f.getbbox(text)
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    img = Image.new("L", (w, h), paper)
    ImageDraw.Draw(img).text((pad - left, pad - top), text, fill=ink, font=f)
    return np.asarray(img)


def training_samples(copies: int = 4) -> list:
    from training.data.samples import Sample
    rng = np.random.default_rng(0)
    out = []
    for word in WORDS:
        for c in range(copies):
            size = int(rng.integers(24, 34))
            out.append(Sample(render_word(word, size=size, pad=int(rng.integers(3, 9))), word,
                              "scene", f"tiny:{word}:{c}"))
    return out


def train_tiny_model(run_dir: Path, steps: int = 800) -> Path:
    """Always on one thread: the thread count changes float summation order, and a tiny model
    trained from a different order is a different model (whatever test happened to run first
    and set the thread count must not decide what the later tests read)."""
    import torch

    from training.quick import train_on_samples
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train_on_samples(training_samples(), run_dir, steps=steps, model_preset="tiny",
                                batch_size=10, lr=3e-3)
    finally:
        torch.set_num_threads(threads)
