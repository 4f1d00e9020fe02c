"""Region shapes in image pixel coordinates (x right, y down), shared by the engine and the app.

Three kinds, as a user draws them: an axis-aligned rectangle, a rotated rectangle and a
polygon. Plain dataclasses with no torch or Qt, so the Qt-free document model can hold them.
Rectification (cutting a shape into a straight, upright strip) lives in ``engine.rectify``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Union

Point = tuple[float, float]


@dataclass(frozen=True)
class RectRegion:
    x: float
    y: float
    w: float
    h: float

    kind = "rect"

    def corners(self) -> list[Point]:
        """Top-left, top-right, bottom-right, bottom-left (reading order of the strip)."""
        return [(self.x, self.y), (self.x + self.w, self.y),
                (self.x + self.w, self.y + self.h), (self.x, self.y + self.h)]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "x": self.x, "y": self.y, "w": self.w, "h": self.h}


@dataclass(frozen=True)
class RotatedRectRegion:
    """Centre, size along the text direction (w) and across it (h), angle in degrees.

    ``angle`` turns the text direction clockwise on screen (y points down): 0 is
    left-to-right horizontal text, 90 is text running top-to-bottom.
    """

    cx: float
    cy: float
    w: float
    h: float
    angle: float

    kind = "rotated_rect"

    def corners(self) -> list[Point]:
        a = math.radians(self.angle)
        ux, uy = math.cos(a), math.sin(a)  # along the text
        vx, vy = -uy, ux  # down across the text
        hw, hh = self.w / 2, self.h / 2
        return [(self.cx - hw * ux - hh * vx, self.cy - hw * uy - hh * vy),
                (self.cx + hw * ux - hh * vx, self.cy + hw * uy - hh * vy),
                (self.cx + hw * ux + hh * vx, self.cy + hw * uy + hh * vy),
                (self.cx - hw * ux + hh * vx, self.cy - hw * uy + hh * vy)]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "cx": self.cx, "cy": self.cy, "w": self.w, "h": self.h,
                "angle": self.angle}


@dataclass(frozen=True)
class PolygonRegion:
    """A closed polygon. For curved text, give the top edge left-to-right then the bottom
    edge right-to-left (2N points); any other polygon is read through its minimum-area box."""

    points: tuple[Point, ...]

    kind = "polygon"

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", tuple((float(x), float(y)) for x, y in self.points))

    def corners(self) -> list[Point]:
        return list(self.points)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "points": [list(p) for p in self.points]}


Region = Union[RectRegion, RotatedRectRegion, PolygonRegion]


def bounding_box(region: Region) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the axis-aligned box around the region."""
    xs = [p[0] for p in region.corners()]
    ys = [p[1] for p in region.corners()]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def region_from_dict(data: dict[str, Any]) -> Region:
    """Inverse of ``to_dict``; raises ValueError with the reason on malformed input."""
    if not isinstance(data, dict):
        raise ValueError("region geometry must be an object")
    kind = data.get("kind")
    try:
        if kind == "rect":
            return RectRegion(float(data["x"]), float(data["y"]), float(data["w"]), float(data["h"]))
        if kind == "rotated_rect":
            return RotatedRectRegion(float(data["cx"]), float(data["cy"]), float(data["w"]),
                                     float(data["h"]), float(data["angle"]))
        if kind == "polygon":
            pts = tuple((float(x), float(y)) for x, y in data["points"])
            if len(pts) < 3:
                raise ValueError("a polygon needs at least 3 points")
            return PolygonRegion(pts)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed {kind} region: {exc}") from exc
    raise ValueError(f"unknown region kind {kind!r}")
