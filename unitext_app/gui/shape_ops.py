"""Pure geometry edits on region shapes (move, resize by handle, rotate, vertex drag).

Qt-free so the maths behind every mouse gesture can be tested without widgets, and so the
canvas items stay thin: they turn mouse positions into calls here.
"""

from __future__ import annotations

import math

from engine.geometry import Point, PolygonRegion, RectRegion, Region, RotatedRectRegion

MIN_SIZE = 2.0  # pixels; a shape never collapses below this while resizing

# Handle names for rectangles (axis-aligned and rotated): corners and edge midpoints,
# named by the sides they move in the shape's own frame (x along the text, y across it).
RECT_HANDLES = ("nw", "n", "ne", "e", "se", "s", "sw", "w")


def translate(shape: Region, dx: float, dy: float) -> Region:
    """The same shape moved by (dx, dy)."""
    if isinstance(shape, RectRegion):
        return RectRegion(shape.x + dx, shape.y + dy, shape.w, shape.h)
    if isinstance(shape, RotatedRectRegion):
        return RotatedRectRegion(shape.cx + dx, shape.cy + dy, shape.w, shape.h, shape.angle)
    return PolygonRegion(tuple((x + dx, y + dy) for x, y in shape.points))


def rect_from_points(p0: Point, p1: Point) -> RectRegion:
    """The axis-aligned rectangle spanned by two opposite corners, in any order."""
    x0, x1 = sorted((p0[0], p1[0]))
    y0, y1 = sorted((p0[1], p1[1]))
    return RectRegion(x0, y0, x1 - x0, y1 - y0)


def rotated_from_centre_line(p0: Point, p1: Point, height: float) -> RotatedRectRegion:
    """A rotated rectangle whose centre line runs from p0 to p1 (the text direction)."""
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    return RotatedRectRegion((p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2, math.hypot(dx, dy),
                             max(MIN_SIZE, abs(height)), math.degrees(math.atan2(dy, dx)))


def distance_to_line(p: Point, a: Point, b: Point) -> float:
    """Unsigned distance from p to the infinite line through a and b."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    if length == 0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    return abs(dx * (p[1] - a[1]) - dy * (p[0] - a[0])) / length


def handle_points(shape: Region) -> dict[str, Point]:
    """Where each resize handle of a rectangle sits, in image coordinates."""
    if isinstance(shape, RectRegion):
        rot = RotatedRectRegion(shape.x + shape.w / 2, shape.y + shape.h / 2, shape.w, shape.h, 0)
    elif isinstance(shape, RotatedRectRegion):
        rot = shape
    else:
        return {}
    tl, tr, br, bl = rot.corners()
    mid = lambda a, b: ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)  # noqa: E731
    return {"nw": tl, "n": mid(tl, tr), "ne": tr, "e": mid(tr, br), "se": br,
            "s": mid(br, bl), "sw": bl, "w": mid(bl, tl)}


def rotate_handle_point(shape: RotatedRectRegion, offset: float) -> Point:
    """The rotate handle: ``offset`` pixels above the middle of the top edge."""
    a = math.radians(shape.angle)
    vx, vy = -math.sin(a), math.cos(a)  # down across the text
    d = shape.h / 2 + offset
    return shape.cx - vx * d, shape.cy - vy * d


def _to_local(shape: RotatedRectRegion, p: Point) -> Point:
    a = math.radians(shape.angle)
    dx, dy = p[0] - shape.cx, p[1] - shape.cy
    return dx * math.cos(a) + dy * math.sin(a), -dx * math.sin(a) + dy * math.cos(a)


def _from_local(shape: RotatedRectRegion, p: Point) -> Point:
    a = math.radians(shape.angle)
    return (shape.cx + p[0] * math.cos(a) - p[1] * math.sin(a),
            shape.cy + p[0] * math.sin(a) + p[1] * math.cos(a))


def resize(shape: Region, handle: str, p: Point) -> Region:
    """Drag one handle of a rectangle to image point p; the opposite side stays put."""
    if isinstance(shape, RectRegion):
        rot = RotatedRectRegion(shape.x + shape.w / 2, shape.y + shape.h / 2, shape.w, shape.h, 0)
        out = _resize_rotated(rot, handle, p)
        x, y, w, h = out.cx - out.w / 2, out.cy - out.h / 2, out.w, out.h
        return RectRegion(x, y, w, h)
    if isinstance(shape, RotatedRectRegion):
        return _resize_rotated(shape, handle, p)
    raise TypeError("only rectangles have resize handles; polygons move vertices")


def _resize_rotated(shape: RotatedRectRegion, handle: str, p: Point) -> RotatedRectRegion:
    if handle not in RECT_HANDLES:
        raise ValueError(f"unknown handle {handle!r}")
    lx, ly = _to_local(shape, p)
    left, right, top, bottom = -shape.w / 2, shape.w / 2, -shape.h / 2, shape.h / 2
    if "w" in handle:
        left = min(lx, right - MIN_SIZE)
    if "e" in handle:
        right = max(lx, left + MIN_SIZE)
    if "n" in handle:
        top = min(ly, bottom - MIN_SIZE)
    if "s" in handle:
        bottom = max(ly, top + MIN_SIZE)
    cx, cy = _from_local(shape, ((left + right) / 2, (top + bottom) / 2))
    return RotatedRectRegion(cx, cy, right - left, bottom - top, shape.angle)


def rotate_towards(shape: Region, p: Point) -> RotatedRectRegion:
    """Turn a rectangle so its rotate handle (above the top edge) points at p."""
    rot = as_rotated(shape)
    angle = math.degrees(math.atan2(p[1] - rot.cy, p[0] - rot.cx)) + 90.0
    return RotatedRectRegion(rot.cx, rot.cy, rot.w, rot.h, normalise_angle(angle))


def rotate_by(shape: Region, degrees: float) -> Region:
    """Turn a shape clockwise about its centre; a plain rectangle becomes a rotated one."""
    if isinstance(shape, PolygonRegion):
        xs, ys = zip(*shape.points)
        cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
        a = math.radians(degrees)
        c, s = math.cos(a), math.sin(a)
        return PolygonRegion(tuple((cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c)
                                   for x, y in shape.points))
    rot = as_rotated(shape)
    return RotatedRectRegion(rot.cx, rot.cy, rot.w, rot.h, normalise_angle(rot.angle + degrees))


def as_rotated(shape: Region) -> RotatedRectRegion:
    if isinstance(shape, RotatedRectRegion):
        return shape
    if isinstance(shape, RectRegion):
        return RotatedRectRegion(shape.x + shape.w / 2, shape.y + shape.h / 2, shape.w, shape.h, 0.0)
    raise TypeError("a polygon has no rotated-rectangle form")


def normalise_angle(angle: float) -> float:
    """Into (-180, 180]."""
    angle = math.fmod(angle, 360.0)
    if angle <= -180.0:
        angle += 360.0
    elif angle > 180.0:
        angle -= 360.0
    return angle


def move_vertex(shape: PolygonRegion, index: int, p: Point) -> PolygonRegion:
    pts = list(shape.points)
    pts[index] = (float(p[0]), float(p[1]))
    return PolygonRegion(tuple(pts))


def clamp_translation(shape: Region, dx: float, dy: float, width: float, height: float) -> tuple[float, float]:
    """Limit a move so the shape's centre stays on the page (shapes may overhang the edge)."""
    xs = [c[0] for c in shape.corners()]
    ys = [c[1] for c in shape.corners()]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    return min(max(dx, -cx), width - cx), min(max(dy, -cy), height - cy)


def is_degenerate(shape: Region, min_size: float = 3.0) -> bool:
    """Too small to be a deliberate region (a stray click while drawing)."""
    xs = [c[0] for c in shape.corners()]
    ys = [c[1] for c in shape.corners()]
    return max(xs) - min(xs) < min_size or max(ys) - min(ys) < min_size


def sort_reading_order(shapes: dict[str, Region]) -> list[str]:
    """Ids top-to-bottom, then left-to-right within a line (centres within half a line height)."""
    boxes = {}
    for rid, shape in shapes.items():
        xs = [c[0] for c in shape.corners()]
        ys = [c[1] for c in shape.corners()]
        boxes[rid] = (min(xs), min(ys), max(xs), max(ys))
    order = sorted(boxes, key=lambda r: (boxes[r][1] + boxes[r][3]) / 2)
    lines: list[list[str]] = []
    for rid in order:
        x0, y0, x1, y1 = boxes[rid]
        cy, h = (y0 + y1) / 2, y1 - y0
        if lines:
            last = boxes[lines[-1][0]]
            if abs(cy - (last[1] + last[3]) / 2) < max(h, last[3] - last[1]) / 2:
                lines[-1].append(rid)
                continue
        lines.append([rid])
    return [rid for line in lines for rid in sorted(line, key=lambda r: boxes[r][0])]
