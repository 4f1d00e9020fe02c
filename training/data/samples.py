"""The training sample type and what every loader shares: image decoding to 8-bit gray,
label filtering against the charset, and the report of what was skipped and why.

Nothing is dropped silently: a loader that leaves a label out counts it in its
:class:`SkipReport` under a reason, with the characters the charset lacked.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from engine.charset import Charset
from engine.config import ModelConfig

DOMAINS = ("scene", "handwriting")
DOMAIN_INDEX = {"scene": 0, "handwriting": 1}
DEFAULT_MAX_LENGTH = ModelConfig().max_length

# Skip reasons (keys of SkipReport.counts).
UNKNOWN_CHARACTERS = "unknown_characters"
TOO_LONG = "too_long"
EMPTY = "empty"
CORRUPT_IMAGE = "corrupt_image"
MISSING_IMAGE = "missing_image"
FILTERED = "filtered"


def check_domain(domain: str) -> str:
    if domain not in DOMAIN_INDEX:
        raise ValueError(f"domain must be one of {DOMAINS}, got {domain!r}")
    return domain


@dataclass
class Sample:
    """One training crop: uint8 gray (H, W), its text, its domain, where it came from.

    ``source`` names the sample for reports: ``<dataset>:<relative path>`` for files,
    ``<dataset>:<index>`` for LMDB or generated samples.
    """

    image: np.ndarray
    text: str
    domain: str
    source: str = ""

    def __post_init__(self) -> None:
        check_domain(self.domain)


class LabelFormatError(ValueError):
    """A labels file line is malformed; the message names the file and line number."""


class CorruptImageError(OSError):
    """An image cannot be decoded; the message names the file."""

    def __init__(self, name: str, reason: str):
        self.name = name
        super().__init__(f"cannot decode image {name}: {reason}")


def _to_gray_array(img: Image.Image) -> np.ndarray:
    img = ImageOps.exif_transpose(img)
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max() if arr.size else 0.0
        if mode.startswith("I;16") or top > 255:
            arr = arr / 257.0 if top <= 65535 else arr * (255.0 / max(top, 1.0))
        return np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    if mode == "P":
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA") or (mode == "RGB" and "transparency" in img.info):
        # Transparent pixels shown on white, as a viewer would.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode != "L":
        img = img.convert("L")
    return np.asarray(img, dtype=np.uint8).copy()


def decode_gray(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Encoded image bytes -> uint8 gray (H, W): EXIF orientation applied, any mode to 8 bits."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            arr = _to_gray_array(img)
    except Exception as exc:  # PIL raises many types for bad data
        raise CorruptImageError(name, f"{type(exc).__name__}: {exc}") from exc
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise CorruptImageError(name, f"empty image {arr.shape}")
    return arr


def load_gray(path: str | Path) -> np.ndarray:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorruptImageError(str(path), f"{type(exc).__name__}: {exc}") from exc
    return decode_gray(data, str(path))


def header_size(source: str | Path | bytes) -> tuple[int, int]:
    """(width, height) as displayed (EXIF orientation applied), read from the header only."""
    fp = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source
    with Image.open(fp) as img:
        w, h = img.size
        orientation = 1
        if "exif" in img.info:  # parse EXIF only where there is some (it costs more than the header)
            try:
                orientation = img.getexif().get(0x0112, 1)
            except Exception:
                orientation = 1
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


@dataclass
class SkipReport:
    """What a loader left out: counts per reason, unknown characters with their counts,
    and a few example names per reason."""

    counts: Counter = field(default_factory=Counter)
    unknown_characters: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    max_examples: int = 5

    def add(self, reason: str, name: str, unknown: Iterable[str] = ()) -> None:
        self.counts[reason] += 1
        self.unknown_characters.update(unknown)
        ex = self.examples.setdefault(reason, [])
        if len(ex) < self.max_examples:
            ex.append(name)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __getitem__(self, reason: str) -> int:
        return self.counts[reason]

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts),
                "unknown_characters": dict(self.unknown_characters.most_common()),
                "examples": {k: list(v) for k, v in self.examples.items()}}

    def summary(self, top: int = 15) -> str:
        if not self.counts:
            return "nothing skipped"
        parts = [f"{reason}: {n}" for reason, n in sorted(self.counts.items())]
        text = "skipped " + ", ".join(parts)
        if self.unknown_characters:
            chars = ", ".join(f"{c!r} U+{ord(c):04X} x{n}"
                              for c, n in self.unknown_characters.most_common(top))
            text += f"; unknown characters: {chars}"
        return text


def check_label(text: str, charset: Charset, max_length: int | None) -> tuple[str | None, str, list[str]]:
    """-> (skip reason or None, normalised text, unknown characters)."""
    norm = charset.normalize(text)
    if not norm:
        return EMPTY, norm, []
    unknown = [c for c in norm if c not in charset]
    if unknown:
        return UNKNOWN_CHARACTERS, norm, unknown
    if max_length is not None and len(norm) > max_length:
        return TOO_LONG, norm, []
    return None, norm, []
