"""Cutting a region out of a page into a straight, upright strip for the recognizer.

The recognizer reads one horizontal line of text, left to right. Users draw rectangles,
rotated rectangles and polygons (4-point perspective quads, 2N-point curved bands, anything
else); this module turns each into that one convention, so the model never has to cope
with rotation, perspective or curvature itself.

Coordinates are continuous image coordinates (x right, y down; pixel (0, 0) covers
[0, 1) x [0, 1)), as in :mod:`engine.geometry`, so a 0-degree rotated rect gives exactly the
same pixels as the plain crop of the same rectangle. Parts of a region outside the image are
filled by replicating the border, which the recognizer reads as background.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from .geometry import Point, PolygonRegion, RectRegion, Region, RotatedRectRegion, bounding_box

#: A crop this much taller than wide is treated as possibly vertical text.
TALL_RATIO = 1.5
MIN_SIDE = 2  # px; smaller strips carry no readable text
_SUPPORTED_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


class RegionError(ValueError):
    """A region cannot be cut from the image (outside it, empty, too small, degenerate)."""


def rectify_region(image: np.ndarray, region: Region) -> np.ndarray:
    """The region as an upright strip (text left to right), with the input's channel count.

    * :class:`RectRegion`: a plain crop (coordinates rounded to whole pixels).
    * :class:`RotatedRectRegion`: its corners TL, TR, BR, BL warped to a ``w x h`` strip.
    * :class:`PolygonRegion` of 4 points: taken as TL, TR, BR, BL of the text and warped in
      perspective to a strip sized by the mean lengths of opposite edges.
    * :class:`PolygonRegion` of an even number >= 6 of points: curved text, the top edge left
      to right then the bottom edge right to left. Each quad (top[i], top[i+1], bottom[i+1],
      bottom[i]) fills a slice as wide as its mean top and bottom edge, mapped bilinearly
      (see :func:`_warp_curved`); the strip height is the mean distance between paired top
      and bottom points.
    * any other polygon: its minimum-area rectangle, see :func:`min_area_rotated_rect`.

    Raises :class:`RegionError` if the region lies entirely outside the image, has zero or
    negative size, or would give a strip smaller than 2 px either way.
    """
    img = _check_image(image)
    if isinstance(region, RectRegion):
        return _restore_channels(_crop_rect(img, region), image)
    if isinstance(region, RotatedRectRegion):
        _check_region(img, region, region.w, region.h)
        out = _warp_quad(img, region.corners(), round(region.w), round(region.h))
        return _restore_channels(out, image)
    if isinstance(region, PolygonRegion):
        pts = region.points
        _check_finite(region)
        if len(pts) == 4:
            width, height = _quad_size(pts)
            _check_region(img, region, width, height)
            return _restore_channels(_warp_quad(img, pts, round(width), round(height)), image)
        if len(pts) >= 6 and len(pts) % 2 == 0:
            return _restore_channels(_warp_curved(img, region), image)
        if len(pts) < 3:
            raise RegionError(f"a polygon region needs at least 3 points, got {len(pts)}")
        box = min_area_rotated_rect(pts)
        _check_region(img, region, box.w, box.h)
        return _restore_channels(_warp_quad(img, box.corners(), round(box.w), round(box.h)),
                                 image)
    raise TypeError(f"unsupported region type {type(region).__name__}")


def min_area_rotated_rect(points: Sequence[Point]) -> RotatedRectRegion:
    """The minimum-area rectangle around ``points``, oriented by one fixed rule.

    The strip's x axis is the side of the box closest to horizontal, pointing right (angle in
    [-45, 45] degrees). So a box whose long side lies within 45 degrees of horizontal gives a
    strip wider than tall: ordinary, possibly tilted text. A box closer to vertical gives a
    tall strip, left for :func:`orientation_candidates` to read both ways, since nothing in
    the polygon says whether vertical text runs up or down. At exactly 45 degrees the long
    side wins.
    """
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    box = cv2.boxPoints(cv2.minAreaRect(pts)).astype(np.float64)
    cx, cy = box.mean(axis=0)
    sides = [box[1] - box[0], box[2] - box[1]]
    lengths = [float(np.hypot(*s)) for s in sides]
    angles = [_fold_angle(math.degrees(math.atan2(s[1], s[0]))) for s in sides]
    tilt = [abs(a) for a in angles]
    if abs(tilt[0] - tilt[1]) < 1e-6:
        along = 0 if lengths[0] >= lengths[1] else 1
    else:
        along = 0 if tilt[0] < tilt[1] else 1
    return RotatedRectRegion(float(cx), float(cy), lengths[along], lengths[1 - along],
                             angles[along])


def orientation_candidates(crop: np.ndarray) -> list[np.ndarray]:
    """The ways a crop may read: ``[crop]``, or two rotations if it is tall.

    A crop more than 1.5 x taller than wide probably holds vertical text (a book spine, a
    sign), whose direction the shape alone does not tell. It gives
    ``[rotated 90 deg counter-clockwise, rotated 90 deg clockwise]``: the first reads text
    running top to bottom, the second text running bottom to top. The recognizer reads
    every candidate and keeps the most confident reading.
    """
    h, w = crop.shape[:2]
    if h > TALL_RATIO * w:
        return [np.ascontiguousarray(np.rot90(crop, 1)), np.ascontiguousarray(np.rot90(crop, -1))]
    return [crop]


# ---------------------------------------------------------------------------------------------
# checks


def _check_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and not 1 <= image.shape[2] <= 4):
        raise ValueError(f"image must be (H, W) or (H, W, C) with C in 1..4, got {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image is empty: shape {image.shape}")
    if image.dtype not in _SUPPORTED_DTYPES:
        raise ValueError(f"unsupported image dtype {image.dtype}; use uint8, uint16 or float32")
    return np.ascontiguousarray(image)


def _restore_channels(out: np.ndarray, image: np.ndarray) -> np.ndarray:
    """cv2 drops a trailing channel axis of 1; put it back so (H, W, 1) stays (h, w, 1)."""
    if image.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out


def _check_finite(region: Region) -> None:
    if not all(math.isfinite(c) for p in region.corners() for c in p):
        raise RegionError(f"region has non-finite coordinates: {region}")


def _describe(x: float, y: float, w: float, h: float) -> str:
    return f"region (x={x:.0f}, y={y:.0f}, w={w:.0f}, h={h:.0f})"


def _check_region(img: np.ndarray, region: Region, width: float, height: float) -> None:
    """Raise RegionError unless the region gives a strip of at least 2 x 2 px inside the image."""
    _check_finite(region)
    if not (math.isfinite(width) and math.isfinite(height)):
        raise RegionError(f"region has non-finite size: {region}")
    x, y, bw, bh = bounding_box(region)
    if width <= 0 or height <= 0:
        raise RegionError(f"{_describe(x, y, bw, bh)} has zero or negative size "
                          f"(width {width:g}, height {height:g})")
    if round(width) < MIN_SIDE or round(height) < MIN_SIDE:
        raise RegionError(f"{_describe(x, y, bw, bh)} is too small: {width:.1f}x{height:.1f} px, "
                          f"it must be at least {MIN_SIDE} px wide and tall")
    img_h, img_w = img.shape[:2]
    if x + bw <= 0 or y + bh <= 0 or x >= img_w or y >= img_h:
        raise RegionError(f"{_describe(x, y, bw, bh)} lies outside the {img_w}x{img_h} image")
    if round(width) * round(height) > max(4 * img_w * img_h, 1 << 22):
        raise RegionError(f"{_describe(x, y, bw, bh)} would give a {width:.0f}x{height:.0f} "
                          f"strip, far larger than the {img_w}x{img_h} image")


# ---------------------------------------------------------------------------------------------
# cutting


def _crop_rect(img: np.ndarray, region: RectRegion) -> np.ndarray:
    _check_region(img, region, region.w, region.h)
    img_h, img_w = img.shape[:2]
    x0, y0 = round(region.x), round(region.y)
    x1, y1 = round(region.x + region.w), round(region.y + region.h)
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, img_w), min(y1, img_h)
    if cx1 <= cx0 or cy1 <= cy0:  # overlap thinner than half a pixel
        raise RegionError(f"{_describe(region.x, region.y, region.w, region.h)} lies outside "
                          f"the {img_w}x{img_h} image")
    crop = img[cy0:cy1, cx0:cx1]
    pads = (cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1)
    if any(pads):
        return cv2.copyMakeBorder(crop, *pads, cv2.BORDER_REPLICATE)
    return crop.copy()


def _warp_quad(img: np.ndarray, quad: Sequence[Point], width: int, height: int) -> np.ndarray:
    """Perspective-warp quad (TL, TR, BR, BL) onto a width x height strip.

    Both sides shift by half a pixel: OpenCV puts pixel centres on integers, the geometry
    puts pixel corners there.
    """
    src = np.asarray(quad, dtype=np.float32) - 0.5
    dst = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32) - 0.5
    if abs(cv2.contourArea(src)) < 1.0:
        raise RegionError(f"region {[tuple(map(float, p)) for p in quad]} is degenerate "
                          "(its corners are collinear or coincide)")
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def _quad_size(pts: Sequence[Point]) -> tuple[float, float]:
    p = np.asarray(pts, dtype=np.float64)
    width = (np.linalg.norm(p[1] - p[0]) + np.linalg.norm(p[2] - p[3])) / 2
    height = (np.linalg.norm(p[3] - p[0]) + np.linalg.norm(p[2] - p[1])) / 2
    return float(width), float(height)


def _warp_curved(img: np.ndarray, region: PolygonRegion) -> np.ndarray:
    """Each quad (top[i], top[i+1], bottom[i+1], bottom[i]) fills its own slice of the strip,
    mapped bilinearly: straight lines across the band stay evenly spaced, and the edge two
    quads share is sampled the same way by both, so the slices join without steps. (A
    perspective warp per quad would squeeze one end of each trapezoid's height and offset
    the middle of a strongly curved band by about 2 px, with a step at every seam.)
    """
    p = np.asarray(region.points, dtype=np.float64)
    n = len(p) // 2
    top, bottom = p[:n], p[n:][::-1]
    height = float(np.mean(np.linalg.norm(top - bottom, axis=1)))
    widths = (np.linalg.norm(np.diff(top, axis=0), axis=1)
              + np.linalg.norm(np.diff(bottom, axis=0), axis=1)) / 2
    edges = np.round(np.concatenate([[0.0], np.cumsum(widths)])).astype(int)
    _check_region(img, region, float(edges[-1]), height)
    out_w, out_h = int(edges[-1]), round(height)
    # For every output column: its quad and its position s in [0, 1] across that quad.
    xs = np.arange(out_w) + 0.5
    quad = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, n - 2)
    s = ((xs - edges[quad]) / np.maximum(edges[quad + 1] - edges[quad], 1))[:, None]
    upper = top[quad] + s * (top[quad + 1] - top[quad])  # (out_w, 2) points on the top edge
    lower = bottom[quad] + s * (bottom[quad + 1] - bottom[quad])
    t = ((np.arange(out_h) + 0.5) / out_h)[:, None, None]  # (out_h, 1, 1) across the band
    src = (1 - t) * upper[None] + t * lower[None] - 0.5  # cv2 puts pixel centres on integers
    return cv2.remap(img, src[..., 0].astype(np.float32), src[..., 1].astype(np.float32),
                     cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _fold_angle(degrees: float) -> float:
    """An undirected line's angle, in (-90, 90]."""
    while degrees > 90:
        degrees -= 180
    while degrees <= -90:
        degrees += 180
    return degrees
