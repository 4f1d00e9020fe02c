"""The canvas alone: drawing each kind of region with real mouse events, moving, resizing,
rotating by handle, zoom. No document or window involved."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from engine.geometry import PolygonRegion, RectRegion, RotatedRectRegion
from unitext_app.document import TextRegion
from unitext_app.gui import shape_ops
from unitext_app.gui.canvas import Canvas
from unitext_app.gui.images import PageImage

from gui_helpers import click, double_click, drag, move, press, release

pytestmark = pytest.mark.gui


@pytest.fixture
def canvas(qtbot):
    view = Canvas()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    page = PageImage(800, 600)
    page.set_preview(np.full((600, 800, 3), 240, np.uint8))
    view.set_page(page)
    view.set_zoom(1.0)
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().minimum())
    view.verticalScrollBar().setValue(view.verticalScrollBar().minimum())
    return view


def vp(view: Canvas, x: float, y: float) -> QPoint:
    """Viewport point of a page point."""
    return view.mapFromScene(QPointF(x, y))


def drawn(view: Canvas, qtbot, action) -> list:
    shapes = []
    view.shapeDrawn.connect(shapes.append)
    action()
    return shapes


def test_draw_rectangle_by_drag(canvas, qtbot):
    canvas.set_tool("rect")
    shapes = drawn(canvas, qtbot, lambda: drag(canvas.viewport(), vp(canvas, 100, 100), vp(canvas, 300, 160)))
    assert len(shapes) == 1
    r = shapes[0]
    assert isinstance(r, RectRegion)
    assert (r.x, r.y, r.w, r.h) == pytest.approx((100, 100, 200, 60), abs=2)


def test_a_click_draws_nothing(canvas, qtbot):
    canvas.set_tool("rect")
    shapes = drawn(canvas, qtbot, lambda: click(canvas.viewport(), vp(canvas, 100, 100)))
    assert shapes == []


def test_draw_rotated_rectangle_line_then_height(canvas, qtbot):
    """Drag along the text's middle (100,200)->(300,300), release, move off the line, click."""
    canvas.set_tool("rotated")
    vpw = canvas.viewport()
    shapes = []
    canvas.shapeDrawn.connect(shapes.append)
    drag(vpw, vp(canvas, 100, 200), vp(canvas, 300, 300))
    assert shapes == [] and canvas.drawing.phase == "height"
    # 20 px from the centre line, perpendicular to it -> height 40
    ux, uy = 200 / math.hypot(200, 100), 100 / math.hypot(200, 100)
    px, py = 200 - uy * 20, 250 + ux * 20
    move(vpw, vp(canvas, px, py), Qt.MouseButton.NoButton)
    click(vpw, vp(canvas, px, py))
    assert len(shapes) == 1
    r = shapes[0]
    assert isinstance(r, RotatedRectRegion)
    assert r.cx == pytest.approx(200, abs=1.5) and r.cy == pytest.approx(250, abs=1.5)
    assert r.w == pytest.approx(math.hypot(200, 100), abs=2)
    assert r.h == pytest.approx(40, abs=3)
    assert r.angle == pytest.approx(math.degrees(math.atan2(100, 200)), abs=1)


def test_draw_polygon_clicks_and_double_click(canvas, qtbot):
    canvas.set_tool("polygon")
    vpw = canvas.viewport()
    shapes = drawn(canvas, qtbot, lambda: None)
    pts = [(100, 100), (300, 120), (310, 180), (90, 160)]
    for x, y in pts[:-1]:
        click(vpw, vp(canvas, x, y))
    # the last point is a double click: its first press adds the point, the double click ends
    press(vpw, vp(canvas, *pts[-1]))
    release(vpw, vp(canvas, *pts[-1]))
    double_click(vpw, vp(canvas, *pts[-1]))
    release(vpw, vp(canvas, *pts[-1]))
    assert len(shapes) == 1
    assert isinstance(shapes[0], PolygonRegion)
    assert [c for p in shapes[0].points for c in p] == pytest.approx([c for p in pts for c in p], abs=1.5)


def test_polygon_enter_finishes_backspace_removes_escape_cancels(canvas, qtbot):
    canvas.set_tool("polygon")
    vpw = canvas.viewport()
    shapes = drawn(canvas, qtbot, lambda: None)
    for x, y in [(100, 100), (200, 100), (250, 250), (200, 180)]:
        click(vpw, vp(canvas, x, y))
    QTest.keyClick(canvas, Qt.Key.Key_Backspace)
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    assert len(shapes) == 1 and len(shapes[0].points) == 3
    click(vpw, vp(canvas, 10, 10))
    click(vpw, vp(canvas, 50, 10))
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    assert len(shapes) == 1


def _with_region(canvas, shape):
    region = TextRegion(shape=shape)
    canvas.sync_regions([region], 0.5)
    return region, canvas.region_item(region.id)


def test_move_by_drag_reports_one_edit(canvas, qtbot):
    region, item = _with_region(canvas, RectRegion(100, 100, 200, 50))
    edits = []
    canvas.shapesEdited.connect(lambda changes, label: edits.append((changes, label)))
    drag(canvas.viewport(), vp(canvas, 200, 125), vp(canvas, 230, 165))
    assert len(edits) == 1
    old, new = edits[0][0][region.id]
    assert old == RectRegion(100, 100, 200, 50)
    assert (new.x, new.y, new.w, new.h) == pytest.approx((130, 140, 200, 50), abs=1.5)
    assert item.pos() == QPointF(0, 0)


def test_resize_by_corner_handle(canvas, qtbot):
    region, item = _with_region(canvas, RectRegion(100, 100, 200, 50))
    canvas.select_ids([region.id])
    assert item.handles, "a single selected region shows handles"
    edits = []
    canvas.shapesEdited.connect(lambda changes, label: edits.append((changes, label)))
    drag(canvas.viewport(), vp(canvas, 300, 150), vp(canvas, 350, 190))
    assert len(edits) == 1 and edits[0][1] == "Resize region"
    new = edits[0][0][region.id][1]
    assert (new.x, new.y, new.w, new.h) == pytest.approx((100, 100, 250, 90), abs=1.5)


def test_rotate_by_handle(canvas, qtbot):
    region, item = _with_region(canvas, RotatedRectRegion(300, 300, 200, 40, 0))
    canvas.select_ids([region.id])
    handle = item.handle_named("rotate")
    start = canvas.mapFromScene(handle.scenePos())
    edits = []
    canvas.shapesEdited.connect(lambda changes, label: edits.append((changes, label)))
    # move the handle to the right of the centre: the top now faces right -> 90 degrees
    drag(canvas.viewport(), start, vp(canvas, 400, 300))
    assert edits and edits[0][1] == "Rotate region"
    assert edits[0][0][region.id][1].angle == pytest.approx(90, abs=1)


def test_polygon_vertex_drag(canvas, qtbot):
    region, item = _with_region(canvas, PolygonRegion(((100, 100), (200, 100), (200, 150), (100, 150))))
    canvas.select_ids([region.id])
    edits = []
    canvas.shapesEdited.connect(lambda changes, label: edits.append((changes, label)))
    drag(canvas.viewport(), vp(canvas, 200, 150), vp(canvas, 220, 180))
    assert edits
    assert edits[0][0][region.id][1].points[2] == pytest.approx((220, 180), abs=1.5)


def test_wheel_zoom_keeps_point_under_cursor(canvas, qtbot):
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    canvas.set_zoom(1.5)  # zoomed in: the page overflows, so the view can scroll
    pos = vp(canvas, 300, 200)
    before = canvas.mapToScene(pos)
    ev = QWheelEvent(QPointF(pos), QPointF(canvas.viewport().mapToGlobal(pos)), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas.viewport(), ev)
    assert canvas.zoom() == pytest.approx(1.8, rel=0.01)
    after = canvas.mapToScene(pos)
    assert (after.x(), after.y()) == pytest.approx((before.x(), before.y()), abs=3)


def test_shape_ops_resize_rotated_keeps_opposite_side():
    r = RotatedRectRegion(100, 100, 100, 20, 90)  # text running down
    # the "e" handle (end of the text) sits at (100, 150); drag it to (100, 170)
    out = shape_ops.resize(r, "e", (100, 170))
    assert out.w == pytest.approx(120) and (out.cx, out.cy) == pytest.approx((100, 110))


def test_sort_reading_order():
    shapes = {"b": RectRegion(300, 10, 50, 20), "a": RectRegion(10, 12, 50, 20), "c": RectRegion(10, 100, 50, 20)}
    assert shape_ops.sort_reading_order(shapes) == ["a", "b", "c"]
