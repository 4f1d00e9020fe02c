"""engine.rectify: warp a known pattern into the page with known geometry, cut it back out."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from engine.geometry import PolygonRegion, RectRegion, RotatedRectRegion
from engine.rectify import (RegionError, min_area_rotated_rect, orientation_candidates,
                            rectify_region)

PW, PH = 160, 40  # pattern (strip) size
BG = 128


def pattern(w: int = PW, h: int = PH, seed: int = 0) -> np.ndarray:
    """A smooth, non-periodic, asymmetric texture plus a white marker at the left: any
    shift, flip or rotation of it correlates poorly with the original."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (h // 8 + 1, w // 8 + 1)).astype(np.uint8)
    img = cv2.resize(blocks, (blocks.shape[1] * 8, blocks.shape[0] * 8),
                     interpolation=cv2.INTER_NEAREST)[:h, :w]
    img = cv2.GaussianBlur(img, (0, 0), 1.5)
    cv2.rectangle(img, (4, 4), (14, h // 2), 255, -1)
    return img


def ncc(a: np.ndarray, b: np.ndarray) -> float:
    a = a.astype(np.float64).ravel() - a.mean()
    b = b.astype(np.float64).ravel() - b.mean()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))


def matches(strip: np.ndarray, pat: np.ndarray, size_tol: int = 2, min_ncc: float = 0.9) -> float:
    h, w = strip.shape[:2]
    assert abs(w - pat.shape[1]) <= size_tol and abs(h - pat.shape[0]) <= size_tol, strip.shape
    score = ncc(cv2.resize(strip, (pat.shape[1], pat.shape[0]), interpolation=cv2.INTER_AREA), pat)
    assert score > min_ncc, score
    return score


def canvas_with_pattern(angle: float, size: int = 400) -> tuple[np.ndarray, RotatedRectRegion]:
    """The pattern centred on a canvas, turned so its text direction is ``angle`` degrees
    clockwise on screen, and the rotated rect that describes where it went."""
    pat = pattern()
    canvas = np.full((size, size), BG, np.uint8)
    x0, y0 = (size - PW) // 2, (size - PH) // 2
    canvas[y0:y0 + PH, x0:x0 + PW] = pat
    cx, cy = x0 + PW / 2, y0 + PH / 2  # continuous coordinates
    # cv2 turns counter-clockwise for positive angles and puts pixel centres on integers.
    m = cv2.getRotationMatrix2D((cx - 0.5, cy - 0.5), -angle, 1.0)
    rotated = cv2.warpAffine(canvas, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=BG)
    return rotated, RotatedRectRegion(cx, cy, PW, PH, angle)


# ------------------------------------------------------------------------------------ shapes


def test_rect_is_a_plain_crop() -> None:
    img = np.random.default_rng(3).integers(0, 256, (100, 200, 3), dtype=np.uint8)
    out = rectify_region(img, RectRegion(30, 20, 50, 10))
    np.testing.assert_array_equal(out, img[20:30, 30:80])
    out[:] = 0  # a copy, not a view into the page
    assert img[20:30, 30:80].any()


def test_rotated_rect_at_zero_equals_the_crop() -> None:
    img = np.random.default_rng(4).integers(0, 256, (100, 200), dtype=np.uint8)
    out = rectify_region(img, RotatedRectRegion(55, 25, 50, 10, 0))
    np.testing.assert_array_equal(out, img[20:30, 30:80])


@pytest.mark.parametrize("angle", [0, 30, -45, 90])
def test_rotated_rect(angle: float) -> None:
    canvas, region = canvas_with_pattern(angle)
    strip = rectify_region(canvas, region)
    assert strip.shape == (PH, PW)
    matches(strip, pattern(), size_tol=0, min_ncc=0.95)


def test_rotated_rect_wrong_angle_does_not_match() -> None:
    """The check above can fail: the same region at 180 degrees reads the pattern upside down."""
    canvas, region = canvas_with_pattern(30)
    wrong = RotatedRectRegion(region.cx, region.cy, region.w, region.h, 210)
    assert ncc(rectify_region(canvas, wrong), pattern()) < 0.5


def test_perspective_quad() -> None:
    pat = pattern()
    quad = np.float32([[100, 80], [330, 120], [320, 200], [90, 170]])
    src = np.float32([[0, 0], [PW, 0], [PW, PH], [0, PH]]) - 0.5
    m = cv2.getPerspectiveTransform(src, quad - 0.5)
    canvas = cv2.warpPerspective(pat, m, (420, 260), flags=cv2.INTER_LINEAR, borderValue=BG)
    strip = rectify_region(canvas, PolygonRegion(tuple(map(tuple, quad))))
    top, bottom = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])
    left, right = np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])
    assert abs(strip.shape[1] - (top + bottom) / 2) <= 1
    assert abs(strip.shape[0] - (left + right) / 2) <= 1
    score = ncc(cv2.resize(strip, (PW, PH), interpolation=cv2.INTER_AREA), pat)
    assert score > 0.9, score


def arc_canvas(n_points: int) -> tuple[np.ndarray, PolygonRegion, np.ndarray]:
    """The pattern bent onto an arc (text along the top of a circle), and its 2N-point band."""
    w, h = 300, 40
    pat = pattern(w, h, seed=5)
    centre = np.array([250.0, 330.0])
    r_top = 230.0
    r_mid = r_top - h / 2
    span = w / r_mid  # radians, so the middle line keeps the pattern's length
    size = (500, 360)
    ys, xs = np.mgrid[0:size[1], 0:size[0]].astype(np.float32)
    dx, dy = xs + 0.5 - centre[0], ys + 0.5 - centre[1]  # continuous coordinates
    phi = np.arctan2(dx, -dy)
    u = (phi + span / 2) * r_mid
    v = r_top - np.hypot(dx, dy)
    canvas = cv2.remap(pat, (u - 0.5).astype(np.float32), (v - 0.5).astype(np.float32),
                       cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=BG)
    phis = np.linspace(-span / 2, span / 2, n_points)
    direction = np.stack([np.sin(phis), -np.cos(phis)], axis=1)
    top = centre + r_top * direction
    bottom = (centre + (r_top - h) * direction)[::-1]
    region = PolygonRegion(tuple(map(tuple, np.concatenate([top, bottom]))))
    return canvas, region, pat


def test_curved_polygon() -> None:
    canvas, region, pat = arc_canvas(12)
    strip = rectify_region(canvas, region)
    assert abs(strip.shape[0] - 40) <= 1
    assert abs(strip.shape[1] - 300) <= 3  # chords are a hair shorter than the arc
    # 0.97: a perspective warp per quad reaches only ~0.93 here (its mid-height drifts ~2 px).
    matches(strip, pat, size_tol=3, min_ncc=0.97)
    # A single straight quad over the same band cannot follow the curve.
    pts = region.points
    straight = rectify_region(canvas, PolygonRegion((pts[0], pts[11], pts[12], pts[23])))
    assert ncc(cv2.resize(straight, (300, 40)), pat) < 0.8


def test_generic_polygon_uses_min_area_rect() -> None:
    canvas, region = canvas_with_pattern(20)
    c = region.corners()
    mid_top = ((c[0][0] + c[1][0]) / 2, (c[0][1] + c[1][1]) / 2)
    five = PolygonRegion((c[0], mid_top, c[1], c[2], c[3]))  # 5 points: not a quad or a band
    strip = rectify_region(canvas, five)
    matches(strip, pattern(), size_tol=2, min_ncc=0.93)


@pytest.mark.parametrize("angle", [0, 20, -30, 44, 80, 90, 135])
def test_min_area_rect_orientation_rule(angle: float) -> None:
    box = RotatedRectRegion(200, 150, 120, 30, angle)
    found = min_area_rotated_rect(box.corners())
    assert -45 <= found.angle <= 45
    assert math.isclose(found.cx, 200, abs_tol=0.5) and math.isclose(found.cy, 150, abs_tol=0.5)
    folded = (angle + 90) % 180 - 90  # the long side's tilt from horizontal, in [-90, 90)
    if abs(folded) <= 45:  # closer to horizontal: a wide strip along the long side
        assert (round(found.w), round(found.h)) == (120, 30)
        assert math.isclose(found.angle, folded, abs_tol=0.5)
    else:  # closer to vertical: a tall strip for orientation_candidates
        assert (round(found.w), round(found.h)) == (30, 120)


def test_vertical_generic_polygon_reads_through_orientation_candidates() -> None:
    canvas, region = canvas_with_pattern(90)  # text running top to bottom
    c = region.corners()
    poly = PolygonRegion((c[0], c[1], ((c[1][0] + c[2][0]) / 2, (c[1][1] + c[2][1]) / 2),
                          c[2], c[3]))
    tall = rectify_region(canvas, poly)
    assert tall.shape[0] > tall.shape[1]
    scores = [ncc(cv2.resize(c, (PW, PH)), pattern()) for c in orientation_candidates(tall)]
    assert max(scores) > 0.9 and min(scores) < 0.5


def test_triangle_polygon_is_cut() -> None:
    img = np.full((100, 100), 50, np.uint8)
    out = rectify_region(img, PolygonRegion(((10, 10), (80, 12), (40, 40))))
    assert out.shape[0] >= 2 and out.shape[1] >= 2 and (out == 50).all()


# ------------------------------------------------------------------------------ channels, edges


@pytest.mark.parametrize("shape", [(60, 80), (60, 80, 1), (60, 80, 3), (60, 80, 4)])
def test_channel_count_is_kept(shape: tuple[int, ...]) -> None:
    img = np.random.default_rng(6).integers(0, 256, shape, dtype=np.uint8)
    for region in (RectRegion(5, 5, 30, 10), RotatedRectRegion(40, 30, 30, 10, 25),
                   PolygonRegion(((5, 5), (40, 8), (40, 20), (5, 18)))):
        out = rectify_region(img, region)
        assert out.ndim == img.ndim and out.shape[2:] == img.shape[2:]
        assert out.dtype == img.dtype


def test_partly_outside_replicates_the_border() -> None:
    img = np.tile(np.arange(100, dtype=np.uint8) * 2, (50, 1))  # columns 0, 2, 4, ...
    out = rectify_region(img, RectRegion(-10, 40, 30, 20))
    assert out.shape == (20, 30)
    assert (out[:, :10] == img[0, 0]).all()  # left of the image: the first column repeated
    np.testing.assert_array_equal(out[:10, 10:], img[40:50, :20])
    assert (out[10:, 10:] == out[9, 10:]).all()  # below the image: the last row repeated
    rot = rectify_region(img, RotatedRectRegion(5, 25, 40, 10, 30))
    assert rot.shape == (10, 40)


def test_entirely_outside_raises() -> None:
    img = np.zeros((480, 640, 3), np.uint8)
    with pytest.raises(RegionError, match=r"region \(x=700, y=10, w=50, h=20\) lies outside "
                                          r"the 640x480 image"):
        rectify_region(img, RectRegion(700, 10, 50, 20))
    with pytest.raises(RegionError, match="outside the 640x480 image"):
        rectify_region(img, RotatedRectRegion(-100, -100, 60, 20, 30))
    with pytest.raises(RegionError, match="outside"):
        rectify_region(img, PolygonRegion(((650, 10), (700, 10), (700, 30), (650, 30))))
    with pytest.raises(ValueError):  # RegionError is a ValueError
        rectify_region(img, RectRegion(0, 500, 10, 10))


@pytest.mark.parametrize("region,reason", [
    (RectRegion(10, 10, 0, 20), "zero or negative"),
    (RectRegion(10, 10, 20, -5), "zero or negative"),
    (RotatedRectRegion(50, 50, 30, 0, 10), "zero or negative"),
    (RectRegion(10, 10, 1, 20), "too small"),
    (RotatedRectRegion(50, 50, 1.2, 30, 10), "too small"),
    (PolygonRegion(((10, 10), (11, 10), (11, 30), (10, 30))), "too small"),
    (PolygonRegion(((10, 10), (50, 10), (90, 10), (90, 10.5), (50, 10.5), (10, 10.5))),
     "too small"),
    (RectRegion(float("nan"), 10, 5, 5), "non-finite"),
])
def test_empty_or_tiny_region_raises(region: object, reason: str) -> None:
    img = np.zeros((100, 100), np.uint8)
    with pytest.raises(RegionError, match=reason):
        rectify_region(img, region)


def test_degenerate_quad_raises() -> None:
    img = np.zeros((100, 100), np.uint8)
    with pytest.raises(RegionError, match="degenerate"):
        rectify_region(img, PolygonRegion(((10, 10), (50, 50), (10, 10), (50, 50))))


# ----------------------------------------------------------------------- orientation candidates


def test_orientation_candidates() -> None:
    pat = pattern()
    down = np.rot90(pat, -1)  # text running top to bottom
    up = np.rot90(pat, 1)  # text running bottom to top
    cands = orientation_candidates(down)
    assert len(cands) == 2
    np.testing.assert_array_equal(cands[0], pat)  # counter-clockwise reads top-to-bottom text
    np.testing.assert_array_equal(orientation_candidates(up)[1], pat)
    assert all(c.flags["C_CONTIGUOUS"] for c in cands)
    wide = orientation_candidates(pat)
    assert len(wide) == 1 and wide[0] is pat
    assert len(orientation_candidates(np.zeros((15, 10), np.uint8))) == 1  # 1.5 x: not tall
    assert len(orientation_candidates(np.zeros((16, 10, 3), np.uint8))) == 2
