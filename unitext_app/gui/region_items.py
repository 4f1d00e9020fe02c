"""Scene items: the page image (with level of detail), regions, and their edit handles.

Scene coordinates are page pixels. A region item draws its shape directly in those
coordinates with ``pos() == (0, 0)``; while the user drags it, Qt moves ``pos`` and the canvas
turns that offset into a new shape on release. Handles stay a fixed size on screen.
"""

from __future__ import annotations

import math
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (QBrush, QColor, QCursor, QFont, QFontMetricsF, QPainter,
                           QPainterPath, QPainterPathStroker, QPen, QPolygonF)
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsSceneMouseEvent, QStyle,
                               QStyleOptionGraphicsItem, QWidget)

from engine.geometry import PolygonRegion, RectRegion, Region, RotatedRectRegion

from . import shape_ops
from .images import PageImage
from .style import SELECTED, STATE_COLOURS, RegionState

HANDLE_PX = 9
ROTATE_OFFSET_PX = 26


class PageImageItem(QGraphicsItem):
    """Paints the preview when zoomed out and the exposed part of the full image when in."""

    def __init__(self, page: PageImage) -> None:
        super().__init__()
        self.page = page
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setZValue(-10)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return QRectF(0, 0, self.page.width, self.page.height)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = option.exposedRect.intersected(self.boundingRect())
        if rect.isEmpty():
            return
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, lod < 2.0)
        full, preview = self.page.qfull, self.page.qpreview
        preview_scale = (preview.width() / self.page.width) if preview is not None else 0.0
        if full is not None and (preview is None or lod > preview_scale * 1.05):
            src = rect.toAlignedRect().intersected(full.rect())
            # Copy only the exposed part: drawing a sub-rect of a huge RGB888 image can make
            # Qt convert the whole image first.
            painter.drawImage(QRectF(src), full.copy(src))
        elif preview is not None:
            src = QRectF(rect.x() * preview_scale, rect.y() * preview_scale,
                         rect.width() * preview_scale, rect.height() * preview_scale)
            painter.drawImage(rect, preview, src)
        else:
            painter.fillRect(rect, QColor("#e5e7eb"))


class RegionEditor(Protocol):
    """What a region item tells the canvas when a handle drag ends."""

    def handle_edit_finished(self, item: "RegionItem", old: Region, new: Region, label: str) -> None: ...

    def view_scale(self) -> float: ...


class RegionItem(QGraphicsItem):
    """One region: outline, translucent fill, reading-order badge, optional text label."""

    def __init__(self, region_id: str, shape: Region, editor: RegionEditor) -> None:
        super().__init__()
        self.region_id = region_id
        self.shape_ = shape
        self.editor = editor
        self.state = RegionState.NEW
        self.order = 0
        self.text = ""
        self.show_text = True
        self._drag_start: Region | None = None
        self._path = QPainterPath()
        self._handles: list[HandleItem] = []
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, True)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.badge = BadgeItem(self)
        self.label = LabelItem(self)
        self._rebuild()

    # -- state -------------------------------------------------------------------------------
    def set_shape(self, shape: Region) -> None:
        if shape == self.shape_ and self.pos() == QPointF(0, 0):
            return
        self.prepareGeometryChange()
        self.shape_ = shape
        self.setPos(0, 0)
        self._rebuild()

    def set_info(self, order: int, state: RegionState, text: str, show_text: bool) -> None:
        self.order, self.state, self.text, self.show_text = order, state, text, show_text
        self.badge.set_text(str(order))
        self.label.set_text(text if show_text else "")
        self._fit_label()
        self.update()

    def _fit_label(self) -> None:
        """Elide the text label to the region's width on screen, so neighbours' labels
        do not pile up over each other."""
        c = self.shape_.corners()
        length = math.hypot(c[1][0] - c[0][0], c[1][1] - c[0][1]) if len(c) >= 2 else 0.0
        if isinstance(self.shape_, PolygonRegion):
            xs = [p[0] for p in c]
            length = max(xs) - min(xs)
        self.label.set_max_width(max(60.0, length * self.editor.view_scale()))

    def _rebuild(self) -> None:
        poly = QPolygonF([QPointF(x, y) for x, y in self.shape_.corners()])
        path = QPainterPath()
        path.addPolygon(poly)
        path.closeSubpath()
        self._path = path
        corners = self.shape_.corners()
        self.badge.setPos(QPointF(*corners[0]))
        low = corners[3] if len(corners) == 4 else max(corners, key=lambda c: c[1])
        self.label.setPos(QPointF(low[0], low[1]))
        self._fit_label()
        self.update_handles()
        self.update()

    # -- painting ----------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802
        scale = max(self.editor.view_scale(), 1e-6)
        pad = 4.0 / scale
        return self._path.boundingRect().adjusted(-pad, -pad, pad, pad)

    def shape(self) -> QPainterPath:  # noqa: D102 - Qt's hit area: the outline plus a margin
        stroker = QPainterPathStroker()
        stroker.setWidth(8.0 / max(self.editor.view_scale(), 1e-6))
        return self._path.united(stroker.createStroke(self._path))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colour = QColor(STATE_COLOURS[self.state])
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        fill = QColor(SELECTED if selected else colour)
        fill.setAlpha(60 if selected else 34)
        pen = QPen(SELECTED if selected else colour, 2.5 if selected else 1.8)
        pen.setCosmetic(True)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(pen)
        painter.setBrush(QBrush(fill))
        painter.drawPath(self._path)
        if isinstance(self.shape_, RotatedRectRegion) or isinstance(self.shape_, PolygonRegion):
            self._paint_direction(painter, colour if not selected else SELECTED)

    def _paint_direction(self, painter: QPainter, colour: QColor) -> None:
        """A small arrow along the text direction, so a rotated region's reading way shows."""
        c = self.shape_.corners()
        if len(c) < 4:
            return
        (x0, y0), (x1, y1) = c[0], c[1]
        length = math.hypot(x1 - x0, y1 - y0)
        if length < 1e-6:
            return
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        px = 7.0 / max(self.editor.view_scale(), 1e-6)
        tip = QPointF(x0 + ux * min(length * 0.5, px * 3), y0 + uy * min(length * 0.5, px * 3))
        pen = QPen(colour, 2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawLine(QPointF(x0, y0), tip)
        painter.drawLine(tip, QPointF(tip.x() - ux * px + uy * px * 0.6, tip.y() - uy * px - ux * px * 0.6))

    # -- handles -----------------------------------------------------------------------------
    def set_handles_visible(self, visible: bool) -> None:
        if visible and not self._handles:
            self._handles = _make_handles(self)
            self.update_handles()
        elif not visible and self._handles:
            for h in self._handles:
                h.setParentItem(None)
                if h.scene() is not None:
                    h.scene().removeItem(h)
            self._handles = []

    @property
    def handles(self) -> list["HandleItem"]:
        return list(self._handles)

    def update_handles(self) -> None:
        if not self._handles:
            return
        shape = self.shape_
        points = shape_ops.handle_points(shape)
        scale = max(self.editor.view_scale(), 1e-6)
        for h in self._handles:
            if h.kind == "resize":
                h.setPos(QPointF(*points[h.key]))
            elif h.kind == "rotate" and isinstance(shape, (RectRegion, RotatedRectRegion)):
                h.setPos(QPointF(*shape_ops.rotate_handle_point(shape_ops.as_rotated(shape),
                                                               ROTATE_OFFSET_PX / scale)))
            elif h.kind == "vertex" and isinstance(shape, PolygonRegion):
                h.setPos(QPointF(*shape.points[int(h.key)]))

    def begin_handle_drag(self) -> None:
        self._drag_start = self.shape_

    def drag_handle(self, handle: "HandleItem", p: QPointF) -> None:
        if self._drag_start is None:
            return
        point = (p.x() - self.pos().x(), p.y() - self.pos().y())
        if handle.kind == "resize":
            new = shape_ops.resize(self._drag_start, handle.key, point)
        elif handle.kind == "rotate":
            new = shape_ops.rotate_towards(self._drag_start, point)
        else:
            assert isinstance(self._drag_start, PolygonRegion)
            new = shape_ops.move_vertex(self.shape_, int(handle.key), point)  # type: ignore[arg-type]
        self.prepareGeometryChange()
        self.shape_ = new
        self._rebuild()

    def end_handle_drag(self, handle: "HandleItem") -> None:
        start, self._drag_start = self._drag_start, None
        if start is not None and start != self.shape_:
            label = {"resize": "Resize region", "rotate": "Rotate region",
                     "vertex": "Move polygon point"}[handle.kind]
            self.editor.handle_edit_finished(self, start, self.shape_, label)

    def handle_named(self, key: str) -> "HandleItem":
        for h in self._handles:
            if h.key == key:
                return h
        raise KeyError(key)


def _make_handles(item: RegionItem) -> list["HandleItem"]:
    shape = item.shape_
    if isinstance(shape, PolygonRegion):
        return [HandleItem(item, "vertex", str(i)) for i in range(len(shape.points))]
    handles = [HandleItem(item, "resize", key) for key in shape_ops.RECT_HANDLES]
    if isinstance(shape, RotatedRectRegion):
        handles.append(HandleItem(item, "rotate", "rotate"))
    return handles


_CURSORS = {"nw": Qt.CursorShape.SizeFDiagCursor, "se": Qt.CursorShape.SizeFDiagCursor,
            "ne": Qt.CursorShape.SizeBDiagCursor, "sw": Qt.CursorShape.SizeBDiagCursor,
            "n": Qt.CursorShape.SizeVerCursor, "s": Qt.CursorShape.SizeVerCursor,
            "e": Qt.CursorShape.SizeHorCursor, "w": Qt.CursorShape.SizeHorCursor}


class HandleItem(QGraphicsItem):
    """A square (resize), circle (rotate) or dot (polygon vertex) of constant screen size."""

    def __init__(self, parent: RegionItem, kind: str, key: str) -> None:
        super().__init__(parent)
        self.kind, self.key = kind, key
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setZValue(10)
        self.setAcceptHoverEvents(True)
        if kind == "resize":
            self.setCursor(QCursor(_CURSORS.get(key, Qt.CursorShape.SizeAllCursor)))
        else:
            self.setCursor(QCursor(Qt.CursorShape.CrossCursor if kind == "vertex" else Qt.CursorShape.PointingHandCursor))

    def boundingRect(self) -> QRectF:  # noqa: N802
        s = HANDLE_PX / 2 + 2
        return QRectF(-s, -s, 2 * s, 2 * s)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(SELECTED, 1.5))
        painter.setBrush(QBrush(QColor("white")))
        s = HANDLE_PX / 2
        if self.kind == "resize":
            painter.drawRect(QRectF(-s, -s, 2 * s, 2 * s))
        else:
            if self.kind == "rotate":
                painter.setBrush(QBrush(SELECTED))
            painter.drawEllipse(QRectF(-s, -s, 2 * s, 2 * s))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        self.parentItem().begin_handle_drag()  # type: ignore[union-attr]
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self.parentItem().drag_handle(self, event.scenePos())  # type: ignore[union-attr]

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self.parentItem().end_handle_drag(self)  # type: ignore[union-attr]


class BadgeItem(QGraphicsItem):
    """The reading-order number at the start of the text, constant size on screen."""

    FONT_PX = 11

    def __init__(self, parent: RegionItem) -> None:
        super().__init__(parent)
        self.text = ""
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(5)
        self._font = QFont()
        self._font.setPixelSize(self.FONT_PX)
        self._font.setBold(True)

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.prepareGeometryChange()
            self.text = text

    def _rect(self) -> QRectF:
        w = QFontMetricsF(self._font).horizontalAdvance(self.text) + 8
        return QRectF(-w, -16, w, 15)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect().adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        parent = self.parentItem()
        colour = STATE_COLOURS[parent.state] if isinstance(parent, RegionItem) else QColor("#3b82f6")
        if parent is not None and parent.isSelected():
            colour = SELECTED
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(self._rect(), 4, 4)
        painter.setPen(QColor("white"))
        painter.setFont(self._font)
        painter.drawText(self._rect(), Qt.AlignmentFlag.AlignCenter, self.text)


class LabelItem(QGraphicsItem):
    """The transcription under the region, constant size on screen, when turned on."""

    FONT_PX = 12

    def __init__(self, parent: RegionItem) -> None:
        super().__init__(parent)
        self.text = ""
        self.max_width = 420.0
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(4)
        self._font = QFont()
        self._font.setPixelSize(self.FONT_PX)

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.prepareGeometryChange()
            self.text = text
            self.setVisible(bool(text))

    def set_max_width(self, width: float) -> None:
        width = min(420.0, width)
        if abs(width - self.max_width) > 0.5:
            self.prepareGeometryChange()
            self.max_width = width

    def _rect(self) -> QRectF:
        fm = QFontMetricsF(self._font)
        w = min(fm.horizontalAdvance(self.text) + 10, self.max_width)
        return QRectF(0, 2, w, fm.height() + 4)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect().adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = self._rect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(17, 24, 39, 200))
        painter.drawRoundedRect(rect, 3, 3)
        painter.setPen(QColor("white"))
        painter.setFont(self._font)
        fm = QFontMetricsF(self._font)
        painter.drawText(rect.adjusted(5, 0, -5, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         fm.elidedText(self.text, Qt.TextElideMode.ElideRight, rect.width() - 10))


def preview_path(points: list[tuple[float, float]], closed: bool) -> QPainterPath:
    """Outline of a shape being drawn."""
    path = QPainterPath()
    if not points:
        return path
    path.moveTo(QPointF(*points[0]))
    for p in points[1:]:
        path.lineTo(QPointF(*p))
    if closed:
        path.closeSubpath()
    return path



def refresh_for_scale(item: RegionItem) -> None:
    """After a zoom: the hit margin, the rotate handle's offset and labels are in screen pixels."""
    item.prepareGeometryChange()
    item.update_handles()
    item._fit_label()
