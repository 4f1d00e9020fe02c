"""Page pixels for display: numpy RGB arrays shared with QImages without copying, and crops.

A 10000 x 14000 scan is 420 MB as RGB; a second copy for Qt would double that, so the QImage
here wraps the numpy buffer (the array is kept alive beside it and never written to).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from engine.geometry import Region, bounding_box


def qimage_from_array(array: np.ndarray) -> QImage:
    """A QImage viewing an (H, W, 3) uint8 RGB or (H, W) gray array; keep ``array`` alive."""
    if array.dtype != np.uint8:
        raise ValueError("expected uint8 pixels")
    if not array.flags["C_CONTIGUOUS"]:
        raise ValueError("expected a C-contiguous array")
    if array.ndim == 2:
        h, w = array.shape
        return QImage(array.data, w, h, array.strides[0], QImage.Format.Format_Grayscale8)
    h, w, c = array.shape
    if c != 3:
        raise ValueError("expected 3 channels")
    return QImage(array.data, w, h, array.strides[0], QImage.Format.Format_RGB888)


@dataclass
class PageImage:
    """What is loaded of one page: a preview (always, once loaded) and maybe the full pixels."""

    width: int  # full-size width and height (the page's coordinate system)
    height: int
    preview: np.ndarray | None = None
    full: np.ndarray | None = None
    _qpreview: QImage | None = field(default=None, repr=False)
    _qfull: QImage | None = field(default=None, repr=False)

    def set_preview(self, array: np.ndarray) -> None:
        self.preview = np.ascontiguousarray(array)
        self._qpreview = qimage_from_array(self.preview)

    def set_full(self, array: np.ndarray) -> None:
        self.full = np.ascontiguousarray(array)
        self._qfull = qimage_from_array(self.full)

    def drop_full(self) -> None:
        """Free the full pixels (the preview stays for display and thumbnails)."""
        self.full = None
        self._qfull = None

    @property
    def qpreview(self) -> QImage | None:
        return self._qpreview

    @property
    def qfull(self) -> QImage | None:
        return self._qfull

    @property
    def best(self) -> np.ndarray | None:
        return self.full if self.full is not None else self.preview

    def scale_of(self, array: np.ndarray) -> float:
        """Pixels of ``array`` per page pixel."""
        return array.shape[1] / max(1, self.width)


def crop_thumbnail(page: PageImage, shape: Region, height: int = 36, max_width: int = 280) -> QImage | None:
    """An upright strip of the region scaled to ``height`` px, for the region list."""
    array = page.best
    if array is None:
        return None
    scale = page.scale_of(array)
    try:
        strip = _rectified(array, shape, scale)
    except Exception:  # a degenerate or off-page shape: no thumbnail, never an error
        return None
    if strip is None or strip.size == 0:
        return None
    image = qimage_from_array(np.ascontiguousarray(strip)).copy()  # own the pixels
    image = image.scaledToHeight(height, Qt.TransformationMode.SmoothTransformation)
    if image.width() > max_width:
        image = image.scaled(max_width, height, Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image


def _rectified(array: np.ndarray, shape: Region, scale: float) -> np.ndarray | None:
    from engine.geometry import PolygonRegion, RectRegion, RotatedRectRegion

    if scale != 1.0:
        if isinstance(shape, RectRegion):
            shape = RectRegion(shape.x * scale, shape.y * scale, shape.w * scale, shape.h * scale)
        elif isinstance(shape, RotatedRectRegion):
            shape = RotatedRectRegion(shape.cx * scale, shape.cy * scale, shape.w * scale,
                                      shape.h * scale, shape.angle)
        else:
            shape = PolygonRegion(tuple((x * scale, y * scale) for x, y in shape.points))
    try:
        from engine.rectify import rectify_region
        return rectify_region(array, shape)
    except ImportError:
        x, y, w, h = (int(round(v)) for v in bounding_box(shape))
        return array[max(0, y):max(0, y + h), max(0, x):max(0, x + w)]
