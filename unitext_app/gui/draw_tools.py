"""The drawing gestures, one small state machine per region kind.

* Rectangle: press, drag to the opposite corner, release.
* Rotated rectangle: press at the start of the text line, drag along its middle to the end
  (this sets the direction and length), release, move the mouse away from the line to set
  the height, click to finish. Enter also finishes; Esc cancels.
* Polygon: click each point; double-click or Enter to finish (3 points at least);
  Backspace removes the last point, Esc cancels. For curved text, click the top edge left
  to right, then the bottom edge right to left.

Tools know nothing of Qt widgets: the canvas feeds them page coordinates and draws
``outline()`` as the preview.
"""

from __future__ import annotations

import math

from engine.geometry import Point, PolygonRegion, Region

from . import shape_ops

CLOSE_PX = 2.0  # points closer than this to the previous one are the same click


class DrawTool:
    """Base: each event returns a finished shape or None."""

    name = "select"
    label = "Select"
    closed_preview = True

    def __init__(self) -> None:
        self.active = False

    def press(self, p: Point) -> Region | None:
        return None

    def move(self, p: Point) -> Region | None:
        return None

    def release(self, p: Point) -> Region | None:
        return None

    def double_click(self, p: Point) -> Region | None:
        return None

    def finish(self) -> Region | None:
        """Enter: complete the shape if it can be completed."""
        return None

    def undo_point(self) -> bool:
        return False

    def cancel(self) -> None:
        self.active = False

    def outline(self) -> list[Point]:
        """The preview's corner points while drawing (empty when idle)."""
        return []

    def hint(self) -> str:
        return ""


class RectTool(DrawTool):
    name, label = "rect", "Rectangle"

    def __init__(self) -> None:
        super().__init__()
        self.start: Point | None = None
        self.end: Point | None = None

    def press(self, p: Point) -> Region | None:
        self.start = self.end = p
        self.active = True
        return None

    def move(self, p: Point) -> Region | None:
        if self.active:
            self.end = p
        return None

    def release(self, p: Point) -> Region | None:
        if not self.active or self.start is None:
            return None
        shape = shape_ops.rect_from_points(self.start, p)
        self.cancel()
        return None if shape_ops.is_degenerate(shape) else shape

    def cancel(self) -> None:
        super().cancel()
        self.start = self.end = None

    def outline(self) -> list[Point]:
        if not self.active or self.start is None or self.end is None:
            return []
        return shape_ops.rect_from_points(self.start, self.end).corners()

    def hint(self) -> str:
        return "Drag from one corner of the text to the opposite corner."


class RotatedRectTool(DrawTool):
    name, label = "rotated", "Rotated rectangle"

    def __init__(self) -> None:
        super().__init__()
        self.p0: Point | None = None
        self.p1: Point | None = None
        self.cursor: Point | None = None
        self.phase = "idle"  # idle -> line (dragging the centre line) -> height -> idle

    def press(self, p: Point) -> Region | None:
        if self.phase == "height":
            return self.finish()
        self.p0 = self.p1 = self.cursor = p
        self.phase, self.active = "line", True
        return None

    def move(self, p: Point) -> Region | None:
        self.cursor = p
        if self.phase == "line":
            self.p1 = p
        return None

    def release(self, p: Point) -> Region | None:
        if self.phase != "line" or self.p0 is None:
            return None
        self.p1 = p
        if math.hypot(p[0] - self.p0[0], p[1] - self.p0[1]) < 3.0:
            self.cancel()  # a click, not a line
            return None
        self.phase = "height"
        return None

    def finish(self) -> Region | None:
        if self.phase != "height":
            return None
        shape = self._shape()
        self.cancel()
        return shape

    def cancel(self) -> None:
        super().cancel()
        self.p0 = self.p1 = self.cursor = None
        self.phase = "idle"

    def _height(self) -> float:
        if self.phase != "height" or self.cursor is None or self.p0 is None or self.p1 is None:
            return shape_ops.MIN_SIZE
        return 2.0 * shape_ops.distance_to_line(self.cursor, self.p0, self.p1)

    def _shape(self) -> Region | None:
        if self.p0 is None or self.p1 is None:
            return None
        return shape_ops.rotated_from_centre_line(self.p0, self.p1, self._height())

    def outline(self) -> list[Point]:
        if self.phase == "line" and self.p0 is not None and self.p1 is not None:
            return [self.p0, self.p1]
        shape = self._shape() if self.phase == "height" else None
        return shape.corners() if shape is not None else []

    @property
    def closed_preview(self) -> bool:  # type: ignore[override]
        return self.phase == "height"

    def hint(self) -> str:
        if self.phase == "height":
            return "Move away from the line to set the height, then click (Enter) to finish."
        return "Drag along the middle of the text line, from its start to its end."


class PolygonTool(DrawTool):
    name, label = "polygon", "Polygon"
    closed_preview = False

    def __init__(self) -> None:
        super().__init__()
        self.points: list[Point] = []
        self.cursor: Point | None = None

    def press(self, p: Point) -> Region | None:
        if self.points and math.hypot(p[0] - self.points[-1][0], p[1] - self.points[-1][1]) < CLOSE_PX:
            return None
        self.points.append(p)
        self.active = True
        return None

    def move(self, p: Point) -> Region | None:
        self.cursor = p
        return None

    def double_click(self, p: Point) -> Region | None:
        return self.finish()

    def finish(self) -> Region | None:
        if len(self.points) < 3:
            return None
        shape = PolygonRegion(tuple(self.points))
        self.cancel()
        return None if shape_ops.is_degenerate(shape) else shape

    def undo_point(self) -> bool:
        if not self.points:
            return False
        self.points.pop()
        self.active = bool(self.points)
        return True

    def cancel(self) -> None:
        super().cancel()
        self.points = []
        self.cursor = None

    def outline(self) -> list[Point]:
        if not self.points:
            return []
        return self.points + ([self.cursor] if self.cursor is not None else [])

    def hint(self) -> str:
        if len(self.points) >= 3:
            return "Click more points; double-click or Enter to finish, Backspace removes a point."
        return "Click the outline point by point (top edge left to right, then bottom edge back)."


TOOLS = {"rect": RectTool, "rotated": RotatedRectTool, "polygon": PolygonTool}
