"""Loading image files for OCR: whatever a user drops in, as an upright uint8 RGB array.

PIL opens lazily and fails late, knows a dozen pixel modes, ignores EXIF orientation unless
asked, and pads truncated files with grey if ``LOAD_TRUNCATED_IMAGES`` is set (it is not:
a half-grey page would be read as blank). Everything downstream (rectify, preprocess, the
GUI) wants one convention, so this module gives exactly one: ``(H, W, 3)`` uint8 RGB, turned
upright, transparent areas composited on white, or an :class:`ImageLoadError` naming the file
and the reason.

16-bit and float images (``I;16``, ``I;16B``, ``I``, ``F``) are scaled by their actual value
range (min -> 0, max -> 255) rather than by ``>> 8``: scanners and microscopes often store
10- or 12-bit data in 16-bit containers, which ``>> 8`` would crush to near-black, while OCR
only needs relative contrast. A flat image (min == max) becomes black if its value is 0 and
white otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Union

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

PathLike = Union[str, "os.PathLike[str]"]

#: Largest image (width x height) the project will decode: a 10000 x 14000 scan (140 MP) loads,
#: a 20000 x 20000 one (400 MP, 1.2 GB as RGB) does not. Read at call time, so tests may patch it.
MAX_PIXELS = 300_000_000

# Project-wide: PIL's own guard (warn above, refuse above twice this) follows the same limit,
# so a large but legitimate scan does not trip PIL's much lower default (89 MP).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_ORIENTATION_TAG = 0x0112
_ROWS_PER_CHUNK = 1024  # compositing alpha in row blocks keeps temporaries small on huge pages
_REDUCIBLE = {"L", "RGB", "RGBA", "LA", "CMYK", "I", "F"}  # modes Image.reduce() accepts


class ImageLoadError(Exception):
    """An image file could not be loaded; the message names the file and the reason."""

    def __init__(self, path: PathLike, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"cannot load image {str(self.path)!r}: {reason}")


# ---------------------------------------------------------------------------------------------
# public API


def load_image(path: PathLike, frame: int = 0) -> np.ndarray:
    """uint8 RGB ``(H, W, 3)`` of one frame (page) of an image file, EXIF orientation applied."""
    with _opened(path, frame) as (im, p):
        _check_pixels(p, im.size)
        _decode(im, p)
        orientation = _orientation(im)
        array = _to_rgb(im, p)
    return apply_orientation(array, orientation)


def load_image_downscaled(path: PathLike, max_side: int, frame: int = 0) -> np.ndarray:
    """Like :func:`load_image`, but no side longer than ``max_side``: a cheap preview.

    JPEGs are decoded at 1/2, 1/4 or 1/8 scale (``draft``), so even a huge photo costs little;
    other formats are decoded in full, then shrunk with ``reduce`` and area interpolation. The
    pixel limit applies to what is actually decoded. Never upscales.
    """
    if int(max_side) < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    max_side = int(max_side)
    with _opened(path, frame) as (im, p):
        width, height = im.size
        if max(width, height) > max_side:
            scale = max_side / max(width, height)
            try:
                im.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
            except Exception:  # draft is an optimisation only
                pass
        _check_pixels(p, im.size)
        _decode(im, p)
        orientation = _orientation(im)
        factor = max(im.size) // max_side
        if factor >= 2 and im.mode in _REDUCIBLE:
            im = im.reduce(factor)
        array = _to_rgb(im, p)
    h, w = array.shape[:2]
    if max(h, w) > max_side:
        scale = max_side / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        array = cv2.resize(array, size, interpolation=cv2.INTER_AREA)
    return apply_orientation(array, orientation)


def count_frames(path: PathLike) -> int:
    """Number of frames (pages) in the file: >1 for multi-page TIFF and animated GIF/WebP."""
    with _opened(path, 0) as (im, _p):
        return int(getattr(im, "n_frames", 1))


def image_size(path: PathLike, frame: int = 0) -> tuple[int, int]:
    """(width, height) as :func:`load_image` would return it, read from the header only.

    EXIF orientations 5-8 swap the two. Not bound by :data:`MAX_PIXELS` (only PIL's own
    refusal above twice that turns into an ImageLoadError), so the GUI can say how big a
    too-large file is.
    """
    with _opened(path, frame) as (im, _p):
        width, height = im.size
        # The base class reads EXIF from the header; PNG's override would decode the image.
        orientation = _orientation(im, header_only=True)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def pil_to_array(im: Image.Image) -> np.ndarray:
    """uint8 RGB ``(H, W, 3)`` from a loaded PIL image of any mode (no orientation applied)."""
    return _to_rgb(im, Path(getattr(im, "filename", "") or "<in-memory image>"))


def apply_orientation(array: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an array upright for an EXIF orientation value 1-8 (same result as
    ``ImageOps.exif_transpose``), done on the RGB array so it works for every source mode."""
    ops = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
        8: lambda a: np.rot90(a, 1),
    }
    op = ops.get(int(orientation), ops[1])
    return np.ascontiguousarray(op(array))


# ---------------------------------------------------------------------------------------------
# opening, decoding


@contextmanager
def _opened(path: PathLike, frame: int) -> Iterator[tuple[Image.Image, Path]]:
    """Open the file and seek to ``frame``, turning every failure into ImageLoadError."""
    p = Path(path)
    if not p.exists():
        raise ImageLoadError(p, "file not found")
    if p.is_dir():
        raise ImageLoadError(p, "it is a directory, not an image file")
    try:
        im = Image.open(p)
    except UnidentifiedImageError:
        raise ImageLoadError(p, "not an image file, or a format that is not supported") from None
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(p, f"image too large ({exc})") from None
    except PermissionError:
        raise ImageLoadError(p, "permission denied") from None
    except Exception as exc:  # PIL's header parsers raise many types on garbage
        raise ImageLoadError(p, f"corrupt or truncated file ({_describe(exc)})") from None
    with im:
        _seek(im, p, frame)
        yield im, p


def _seek(im: Image.Image, p: Path, frame: int) -> None:
    if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)):
        raise TypeError(f"frame must be an int, got {type(frame).__name__}")
    try:
        n_frames = int(getattr(im, "n_frames", 1))
    except Exception as exc:
        raise ImageLoadError(p, f"corrupt or truncated file ({_describe(exc)})") from None
    if not 0 <= frame < n_frames:
        pages = f"only frame 0" if n_frames == 1 else f"frames 0..{n_frames - 1}"
        raise ImageLoadError(p, f"frame {frame} out of range: the file has {n_frames} "
                                f"frame(s), {pages}")
    if frame:
        try:
            im.seek(int(frame))
        except Image.DecompressionBombError as exc:
            raise ImageLoadError(p, f"image too large ({exc})") from None
        except Exception as exc:
            raise ImageLoadError(p, f"cannot read frame {frame}: corrupt or truncated file "
                                    f"({_describe(exc)})") from None


def _check_pixels(p: Path, size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageLoadError(p, f"image too large: {width}x{height} = {width * height / 1e6:.0f} "
                                f"megapixels, the limit is {MAX_PIXELS / 1e6:.0f}")


def _decode(im: Image.Image, p: Path) -> None:
    """Force decoding now, so truncated or corrupt data raises here and not half-grey later."""
    try:
        im.load()
    except MemoryError:
        raise ImageLoadError(p, f"not enough memory to decode {im.size[0]}x{im.size[1]} "
                                "pixels") from None
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(p, f"image too large ({exc})") from None
    except Exception as exc:  # OSError, SyntaxError, zlib.error, struct.error, EOFError...
        raise ImageLoadError(p, f"truncated or corrupt image data ({_describe(exc)})") from None


def _orientation(im: Image.Image, header_only: bool = False) -> int:
    try:
        exif = Image.Image.getexif(im) if header_only else im.getexif()
        value = int(exif.get(_ORIENTATION_TAG, 1))
    except Exception:  # a broken EXIF block should not stop the image from loading
        return 1
    return value if 1 <= value <= 8 else 1


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# pixel modes -> uint8 RGB


def _to_rgb(im: Image.Image, p: Path) -> np.ndarray:
    mode = im.mode
    try:
        if mode == "1":
            return _gray_to_rgb(np.asarray(im.convert("L"), dtype=np.uint8))
        if mode.startswith("I") or mode.startswith("F"):
            return _gray_to_rgb(_scale_to_uint8(_high_depth_array(im)))
        if mode in ("RGBA", "LA", "PA", "P", "RGBa", "La") or "transparency" in im.info:
            # P covers GIF and palette PNG, with or without a transparent index / tRNS chunk;
            # "transparency" also catches RGB and L PNGs with a transparent colour.
            return _composite_on_white(np.asarray(im.convert("RGBA"), dtype=np.uint8))
        if mode == "RGB":
            return np.array(im, dtype=np.uint8)
        if mode == "L":
            return _gray_to_rgb(np.asarray(im, dtype=np.uint8))
        return np.array(im.convert("RGB"), dtype=np.uint8)  # CMYK, YCbCr, LAB, HSV, RGBX...
    except ImageLoadError:
        raise
    except MemoryError:
        raise ImageLoadError(p, f"not enough memory for {im.size[0]}x{im.size[1]} pixels") from None
    except Exception as exc:
        raise ImageLoadError(p, f"unsupported pixel mode {mode!r} ({_describe(exc)})") from None


def _gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[:, :, None], 3, axis=2)


def _high_depth_array(im: Image.Image) -> np.ndarray:
    """Values of a 16/32-bit integer or float single-channel image, in native byte order."""
    try:
        array = np.asarray(im)
    except Exception:
        array = np.asarray(im.convert("I" if im.mode.startswith("I") else "F"))
    if array.ndim != 2:
        raise ValueError(f"expected one channel, got shape {array.shape}")
    return array


def _scale_to_uint8(values: np.ndarray) -> np.ndarray:
    """Stretch the actual value range to 0..255 (see the module docstring for why).

    Works in row blocks so a huge 16-bit scan never gets a full-size float copy.
    """
    if values.dtype.kind == "f":
        finite = np.isfinite(values)
        if not finite.all():
            values = np.where(finite, values, 0)
    lo, hi = values.min(), values.max()
    if hi <= lo:
        return np.full(values.shape, 0 if lo == 0 else 255, dtype=np.uint8)
    lut = None
    if values.dtype.kind in "ui" and int(hi) - int(lo) < 1 << 16:
        span = int(hi) - int(lo)
        lut = (np.arange(span + 1, dtype=np.float64) * (255.0 / span) + 0.5).astype(np.uint8)
    scale = 255.0 / (float(hi) - float(lo))
    out = np.empty(values.shape, dtype=np.uint8)
    for y0 in range(0, values.shape[0], _ROWS_PER_CHUNK):
        block = values[y0:y0 + _ROWS_PER_CHUNK]
        if lut is not None:
            out[y0:y0 + _ROWS_PER_CHUNK] = lut[block.astype(np.int64) - int(lo)]
        else:
            scaled = (block.astype(np.float64) - float(lo)) * scale + 0.5
            out[y0:y0 + _ROWS_PER_CHUNK] = np.clip(scaled, 0, 255)
    return out


def _composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """RGB over a white page: out = (rgb * a + 255 * (255 - a)) / 255, exact in uint16."""
    h, w = rgba.shape[:2]
    out = np.empty((h, w, 3), dtype=np.uint8)
    for y0 in range(0, h, _ROWS_PER_CHUNK):
        block = rgba[y0:y0 + _ROWS_PER_CHUNK]
        alpha = block[:, :, 3:4].astype(np.uint16)
        mixed = block[:, :, :3].astype(np.uint16) * alpha + 255 * (255 - alpha) + 127
        out[y0:y0 + _ROWS_PER_CHUNK] = mixed // 255
    return out
