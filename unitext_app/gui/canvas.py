"""The page canvas: zoom and pan, draw regions, select, move, resize and rotate them.

The canvas never changes the document. It reports what the user did (``shapeDrawn``,
``shapesEdited``, ``nudgeRequested``, ``deleteRequested``); the window turns those into undo
commands, and the document's signals come back as :meth:`Canvas.sync_regions` calls.

Mouse: wheel zooms around the cursor (Shift+wheel scrolls sideways); middle-drag, Space+drag
or the Pan tool pans. In the Select tool, click/Ctrl+click/rubber-band select, drag a region
to move it, drag its handles to resize, rotate (the round handle of a rotated rectangle) or
move a polygon's points; arrow keys nudge (Shift: 10 px).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPen,
                           QResizeEvent, QTransform, QWheelEvent)
from PySide6.QtWidgets import QFrame, QGraphicsPathItem, QGraphicsScene, QGraphicsView, QWidget

from engine.geometry import Point, Region
from unitext_app.document import TextRegion

from . import shape_ops
from .draw_tools import TOOLS, DrawTool
from .images import PageImage
from .region_items import PageImageItem, RegionItem, preview_path, refresh_for_scale
from .style import SELECTED, region_state

MIN_ZOOM, MAX_ZOOM = 0.01, 32.0
WHEEL_STEP = 1.2  # zoom factor per wheel notch (120 units)
TOOL_NAMES = ("select", "rect", "rotated", "polygon", "pan")


class Canvas(QGraphicsView):
    shapeDrawn = Signal(object)  # Region
    shapesEdited = Signal(object, str)  # {region id: (old, new)}, undo label
    nudgeRequested = Signal(float, float)
    deleteRequested = Signal()
    selectionChangedIds = Signal(list)
    zoomChanged = Signal(float)
    cursorMoved = Signal(float, float)  # page pixel under the mouse
    toolChanged = Signal(str)
    hintChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setObjectName("canvas")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setBackgroundBrush(QBrush(QColor("#23272e")))
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self._page: PageImage | None = None
        self._image_item: PageImageItem | None = None
        self._items: dict[str, RegionItem] = {}
        self._tool = "select"
        self._draw: DrawTool | None = None
        self._pan_from: QPointF | None = None
        self._space = False
        self._fit_mode = True
        self._suppress_selection = False
        self.show_text = True
        self.empty_text = "Open an image to start\n\nCtrl+O, or drop image files here"

        self._preview = QGraphicsPathItem()
        pen = QPen(SELECTED, 2, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._preview.setPen(pen)
        fill = QColor(SELECTED)
        fill.setAlpha(40)
        self._preview.setBrush(QBrush(fill))
        self._preview.setZValue(50)
        self.scene().addItem(self._preview)
        self.scene().selectionChanged.connect(self._on_scene_selection)

    # -- page and regions ---------------------------------------------------------------------
    def set_page(self, page: PageImage | None) -> None:
        """Show a page (or nothing). Regions are cleared; call :meth:`sync_regions` after."""
        self.cancel_drawing()
        for item in list(self._items.values()):
            self.scene().removeItem(item)
        self._items.clear()
        if self._image_item is not None:
            self.scene().removeItem(self._image_item)
            self._image_item = None
        self._page = page
        if page is None:
            self.scene().setSceneRect(QRectF(0, 0, 1, 1))
        else:
            self._image_item = PageImageItem(page)
            self.scene().addItem(self._image_item)
            m = 0.02 * max(page.width, page.height)
            self.scene().setSceneRect(QRectF(-m, -m, page.width + 2 * m, page.height + 2 * m))
            self.fit_to_window()

    @property
    def page(self) -> PageImage | None:
        return self._page

    def refresh_image(self) -> None:
        """New pixels arrived (preview or full) for the page shown."""
        if self._image_item is not None:
            self._image_item.update()

    def sync_regions(self, regions: list[TextRegion], low_confidence: float) -> None:
        """Make the items match the page's regions (add, remove, reshape, renumber)."""
        wanted = {r.id for r in regions}
        for rid in [rid for rid in self._items if rid not in wanted]:
            self.scene().removeItem(self._items.pop(rid))
        for order, region in enumerate(regions, 1):
            item = self._items.get(region.id)
            if item is None:
                item = RegionItem(region.id, region.shape, self)
                item.setZValue(order)
                self._apply_tool_to_item(item)
                self.scene().addItem(item)
                self._items[region.id] = item
            else:
                item.set_shape(region.shape)
            item.set_info(order, region_state(region, low_confidence), region.text, self.show_text)
        self._update_handles()

    def update_region(self, region: TextRegion, low_confidence: float) -> None:
        """One region's shape or text changed (cheaper than a full sync)."""
        item = self._items.get(region.id)
        if item is None:
            return
        item.set_shape(region.shape)
        item.set_info(item.order, region_state(region, low_confidence), region.text, self.show_text)
        if item.isSelected():
            self._update_handles()

    def region_item(self, region_id: str) -> RegionItem:
        return self._items[region_id]

    @property
    def region_items(self) -> dict[str, RegionItem]:
        return dict(self._items)

    def set_show_text(self, show: bool) -> None:
        self.show_text = show
        for item in self._items.values():
            item.set_info(item.order, item.state, item.text if show else "", show)

    # -- selection -----------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        items = [i for i in self._items.values() if i.isSelected()]
        return [i.region_id for i in sorted(items, key=lambda i: i.order)]

    def select_ids(self, ids: list[str], reveal: bool = True) -> None:
        """Select exactly these regions without echoing ``selectionChangedIds``."""
        wanted = set(ids)
        self._suppress_selection = True
        try:
            for rid, item in self._items.items():
                item.setSelected(rid in wanted)
        finally:
            self._suppress_selection = False
        self._update_handles()
        if reveal and ids and ids[0] in self._items:
            rect = self._items[ids[0]].sceneBoundingRect()
            visible = self.mapToScene(self.viewport().rect()).boundingRect()
            if not visible.contains(rect):
                self.centerOn(rect.center())

    def _on_scene_selection(self) -> None:
        self._update_handles()
        if not self._suppress_selection:
            self.selectionChangedIds.emit(self.selected_ids())

    def _update_handles(self) -> None:
        selected = [i for i in self._items.values() if i.isSelected()]
        single = selected[0] if len(selected) == 1 and self._tool == "select" else None
        for item in self._items.values():
            item.set_handles_visible(item is single)

    # -- tools ---------------------------------------------------------------------------------
    @property
    def tool(self) -> str:
        return self._tool

    def set_tool(self, name: str) -> None:
        if name not in TOOL_NAMES:
            raise ValueError(f"unknown tool {name!r}")
        self.cancel_drawing()
        self._tool = name
        self._draw = TOOLS[name]() if name in TOOLS else None
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag if name == "select"
                         else QGraphicsView.DragMode.NoDrag)
        for item in self._items.values():
            self._apply_tool_to_item(item)
        self._set_cursor()
        self._update_handles()
        self.toolChanged.emit(name)
        self.hintChanged.emit(self._draw.hint() if self._draw else "")

    def _apply_tool_to_item(self, item: RegionItem) -> None:
        editing = self._tool == "select"
        item.setFlag(item.GraphicsItemFlag.ItemIsMovable, editing)
        item.setFlag(item.GraphicsItemFlag.ItemIsSelectable, True)
        if editing:
            item.setCursor(Qt.CursorShape.SizeAllCursor)
        else:
            item.unsetCursor()
        item.setAcceptHoverEvents(editing)

    def _set_cursor(self) -> None:
        if self._pan_from is not None:
            cursor = Qt.CursorShape.ClosedHandCursor
        elif self._space or self._tool == "pan":
            cursor = Qt.CursorShape.OpenHandCursor
        elif self._draw is not None:
            cursor = Qt.CursorShape.CrossCursor
        else:
            cursor = Qt.CursorShape.ArrowCursor
        self.viewport().setCursor(cursor)

    @property
    def drawing(self) -> DrawTool | None:
        return self._draw

    def cancel_drawing(self) -> None:
        if self._draw is not None:
            self._draw.cancel()
        self._update_preview()

    def _tool_result(self, shape: Region | None) -> None:
        self._update_preview()
        if self._draw is not None:
            self.hintChanged.emit(self._draw.hint())
        if shape is not None and self._page is not None:
            self.shapeDrawn.emit(shape)

    def _update_preview(self) -> None:
        points = self._draw.outline() if self._draw is not None else []
        closed = bool(self._draw.closed_preview) if self._draw is not None else True
        self._preview.setPath(preview_path(points, closed) if points else QPainterPath())

    def _page_point(self, pos: QPointF) -> Point:
        p = self.mapToScene(pos.toPoint())
        if self._page is None:
            return (p.x(), p.y())
        return (min(max(p.x(), 0.0), float(self._page.width)), min(max(p.y(), 0.0), float(self._page.height)))

    # -- zoom ----------------------------------------------------------------------------------
    def view_scale(self) -> float:
        return self.transform().m11()

    def zoom(self) -> float:
        return self.view_scale()

    def fit_to_window(self) -> None:
        """Whole page in view. Scroll bars are off while fitted: showing one would shrink the
        viewport, refit smaller, hide it again, and so on forever."""
        self._set_fit_mode(True)
        if self._page is None:
            return
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._after_zoom()

    def _set_fit_mode(self, on: bool) -> None:
        self._fit_mode = on
        policy = Qt.ScrollBarPolicy.ScrollBarAlwaysOff if on else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        self.setHorizontalScrollBarPolicy(policy)
        self.setVerticalScrollBarPolicy(policy)

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def zoom_in(self) -> None:
        self.zoom_by(WHEEL_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / WHEEL_STEP)

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        self.zoom_by(scale / max(self.view_scale(), 1e-9), anchor)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Scale about ``anchor`` (viewport point; default the centre), keeping it still."""
        current = self.view_scale()
        target = min(MAX_ZOOM, max(MIN_ZOOM, current * factor))
        if abs(target - current) < 1e-12:
            return
        self._set_fit_mode(False)
        anchor = anchor if anchor is not None else QPointF(self.viewport().rect().center())
        before = self.mapToScene(anchor.toPoint())
        self.setTransform(QTransform.fromScale(target, target))
        after = self.mapFromScene(before)
        delta = after - anchor.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())
        self._after_zoom()

    def _after_zoom(self) -> None:
        for item in self._items.values():
            refresh_for_scale(item)
        self.zoomChanged.emit(self.view_scale())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit_to_window()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        dy = event.angleDelta().y()
        if dy == 0 or event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            super().wheelEvent(event)
            return
        self.zoom_by(WHEEL_STEP ** (dy / 120.0), event.position())
        event.accept()

    # -- mouse ---------------------------------------------------------------------------------
    def _wants_pan(self, event: QMouseEvent) -> bool:
        if event.button() == Qt.MouseButton.MiddleButton:
            return True
        return event.button() == Qt.MouseButton.LeftButton and (self._space or self._tool == "pan")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._wants_pan(event):
            self._pan_from = event.position()
            self._set_cursor()
            event.accept()
            return
        if self._draw is not None:
            if event.button() == Qt.MouseButton.LeftButton:
                self._tool_result(self._draw.press(self._page_point(event.position())))
            elif event.button() == Qt.MouseButton.RightButton:
                shape = self._draw.finish()
                if shape is None:
                    self._draw.cancel()
                self._tool_result(shape)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        p = self.mapToScene(event.position().toPoint())
        self.cursorMoved.emit(p.x(), p.y())
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(delta.y()))
            event.accept()
            return
        if self._draw is not None:
            self._draw.move(self._page_point(event.position()))
            self._update_preview()
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._set_cursor()
            event.accept()
            return
        if self._draw is not None:
            if event.button() == Qt.MouseButton.LeftButton:
                self._tool_result(self._draw.release(self._page_point(event.position())))
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self._commit_moves()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._draw is not None:
            if event.button() == Qt.MouseButton.LeftButton:
                self._tool_result(self._draw.double_click(self._page_point(event.position())))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def _commit_moves(self) -> None:
        """Items dragged by Qt carry an offset in pos(); turn it into new shapes."""
        changes: dict[str, tuple[Region, Region]] = {}
        for item in self._items.values():
            off = item.pos()
            if off.x() == 0 and off.y() == 0:
                continue
            old = item.shape_
            dx, dy = off.x(), off.y()
            if self._page is not None:
                dx, dy = shape_ops.clamp_translation(old, dx, dy, self._page.width, self._page.height)
            new = shape_ops.translate(old, dx, dy)
            item.set_shape(new)
            changes[item.region_id] = (old, new)
        if changes:
            n = len(changes)
            self.shapesEdited.emit(changes, "Move region" if n == 1 else f"Move {n} regions")

    def handle_edit_finished(self, item: RegionItem, old: Region, new: Region, label: str) -> None:
        """Called by a region item when a handle drag ends."""
        self.shapesEdited.emit({item.region_id: (old, new)}, label)

    # -- keyboard ------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        draw = self._draw
        if draw is not None and draw.active:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._tool_result(draw.finish())
            elif key == Qt.Key.Key_Escape:
                draw.cancel()
                self._tool_result(None)
            elif key == Qt.Key.Key_Backspace:
                draw.undo_point()
                self._tool_result(None)
            else:
                super().keyPressEvent(event)
            return
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self._set_cursor()
            return
        if key == Qt.Key.Key_Escape:
            if self._tool != "select":
                self.set_tool("select")
            else:
                self.scene().clearSelection()
            return
        if key == Qt.Key.Key_Backspace and self.selected_ids():
            self.deleteRequested.emit()
            return
        arrows = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if key in arrows and self.selected_ids():
            step = 10.0 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1.0
            dx, dy = arrows[key]
            self.nudgeRequested.emit(dx * step, dy * step)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._set_cursor()
            return
        super().keyReleaseEvent(event)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        """A thin border around the page; with no page, how to start."""
        if self._page is None:
            painter.save()
            painter.resetTransform()
            font = painter.font()
            font.setPixelSize(18)
            painter.setFont(font)
            painter.setPen(QColor("#9ca3af"))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            painter.restore()
            return
        pen = QPen(QColor(0, 0, 0, 90), 1)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(0, 0, self._page.width, self._page.height))
