"""The region list: every region of the page in reading order, with its crop, its text
(low-confidence characters highlighted, corrections marked) and its confidence.

Double-click a row to edit its text in place; drag rows to change the reading order. The
model never edits the document itself: it emits ``textEditRequested`` and the view emits
``reorderRequested``, and the window turns both into undo commands.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import (QAbstractListModel, QByteArray, QItemSelection, QItemSelectionModel,
                            QMimeData, QModelIndex, QPersistentModelIndex, QPoint, QRect, QRectF,
                            QSize, Qt, Signal)
from PySide6.QtGui import (QColor, QDropEvent, QFont, QFontMetrics, QImage, QPainter, QPalette,
                           QTextCharFormat, QTextLayout)
from PySide6.QtWidgets import (QAbstractItemView, QLineEdit, QListView, QStyle,
                               QStyledItemDelegate, QStyleOptionViewItem, QWidget)

from unitext_app.document import TextRegion

from .document_model import DocumentModel
from .ordering import move_to
from .style import LOW_CONFIDENCE_BG, STATE_COLOURS, RegionState, pixmap, region_state
from .text_format import confidence_label, low_confidence_spans

MIME = "application/x-unitext-region-ids"
RegionRole = Qt.ItemDataRole.UserRole + 1
IdRole = Qt.ItemDataRole.UserRole + 2
ThumbRole = Qt.ItemDataRole.UserRole + 3

ThumbnailFn = Callable[[str, TextRegion], QImage | None]


class RegionListModel(QAbstractListModel):
    textEditRequested = Signal(str, str)  # region id, new text

    def __init__(self, doc: DocumentModel, thumbnail: ThumbnailFn, low_confidence: Callable[[], float],
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self._thumbnail = thumbnail
        self.low_confidence = low_confidence
        self.page_id: str | None = None
        doc.regionsChanged.connect(self._on_regions_changed)
        doc.regionUpdated.connect(self._on_region_updated)
        doc.documentReset.connect(lambda: self.set_page(None))

    def set_page(self, page_id: str | None) -> None:
        self.beginResetModel()
        self.page_id = page_id
        self.endResetModel()

    def regions(self) -> list[TextRegion]:
        if self.page_id is None:
            return []
        try:
            return self.doc.page(self.page_id).regions
        except KeyError:
            return []

    def row_of(self, region_id: str) -> int:
        for i, r in enumerate(self.regions()):
            if r.id == region_id:
                return i
        return -1

    def refresh_thumbnails(self) -> None:
        if self.rowCount():
            self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1), [ThumbRole])

    def _on_regions_changed(self, page_id: str) -> None:
        if page_id == self.page_id:
            self.beginResetModel()
            self.endResetModel()

    def _on_region_updated(self, page_id: str, region_id: str) -> None:
        if page_id == self.page_id:
            row = self.row_of(region_id)
            if row >= 0:
                self.dataChanged.emit(self.index(row), self.index(row))

    # -- Qt model API ------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.regions())

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        regions = self.regions()
        if not index.isValid() or not 0 <= index.row() < len(regions):
            return None
        region = regions[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return region.text
        if role == RegionRole:
            return region
        if role == IdRole:
            return region.id
        if role == ThumbRole:
            return self._thumbnail(self.page_id or "", region)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(region)
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        region = self.regions()[index.row()]
        text = str(value)
        if text != region.text:
            self.textEditRequested.emit(region.id, text)
        return True

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable
                | Qt.ItemFlag.ItemIsDragEnabled)

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # noqa: N802
        ids = [self.data(i, IdRole) for i in sorted(indexes, key=lambda i: i.row()) if i.isValid()]
        mime = QMimeData()
        mime.setData(MIME, QByteArray("\n".join(ids).encode("ascii")))
        return mime

    def dropMimeData(self, *args: Any) -> bool:  # noqa: N802
        return False  # the view handles drops (see RegionListView.dropEvent)


def _tooltip(region: TextRegion) -> str:
    lines = []
    if region.machine_text is not None:
        conf = confidence_label(region)
        lines.append(f"Machine reading: {region.machine_text}" + (f" ({conf})" if conf else ""))
    if region.is_corrected:
        lines.append(f"Corrected: {region.corrected_text}")
    if region.model:
        lines.append(f"Model: {region.model}")
    return "\n".join(lines) or "Not recognised yet"


class RegionDelegate(QStyledItemDelegate):
    """Paints a card: number, crop thumbnail, confidence, and the text with highlights."""

    PAD = 8
    THUMB_H = 36
    TEXT_H = 22

    def __init__(self, low_confidence: Callable[[], float], parent: Any = None) -> None:
        super().__init__(parent)
        self.low_confidence = low_confidence

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(220, self.PAD * 2 + self.THUMB_H + 6 + self.TEXT_H)

    def _text_rect(self, rect: QRect) -> QRect:
        left = rect.left() + self.PAD + 28
        top = rect.top() + self.PAD + self.THUMB_H + 6
        return QRect(left, top, rect.right() - left - self.PAD, self.TEXT_H)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        region: TextRegion | None = index.data(RegionRole)
        if region is None:
            return
        painter.save()
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        bg = palette.color(QPalette.ColorRole.Highlight) if selected else palette.color(QPalette.ColorRole.Base)
        if selected:
            bg = QColor(bg)
            bg.setAlpha(60)
        painter.fillRect(rect, bg)
        painter.setPen(QColor(0, 0, 0, 25))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)

        state = region_state(region, self.low_confidence())
        colour = STATE_COLOURS[state]
        # reading-order number
        badge = QRectF(rect.left() + self.PAD, rect.top() + self.PAD, 22, 18)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(badge, 4, 4)
        font = QFont(option.font)
        font.setBold(True)
        font.setPixelSize(11)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(index.row() + 1))

        # confidence pill
        conf = confidence_label(region)
        right = rect.right() - self.PAD
        if conf:
            fm = QFontMetrics(font)
            w = fm.horizontalAdvance(conf) + 12
            pill = QRectF(right - w, rect.top() + self.PAD, w, 18)
            pc = QColor(colour)
            pc.setAlpha(40)
            painter.setBrush(pc)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(pill, 9, 9)
            painter.setPen(colour.darker(130))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, conf)
            right = int(pill.left()) - 6

        # crop thumbnail
        thumb: QImage | None = index.data(ThumbRole)
        left = rect.left() + self.PAD + 28
        if thumb is not None and not thumb.isNull():
            box = QRect(left, rect.top() + self.PAD, max(10, right - left), self.THUMB_H)
            scaled = thumb
            if thumb.width() > box.width():
                scaled = thumb.scaledToWidth(box.width(), Qt.TransformationMode.SmoothTransformation)
            target = QRect(box.left(), box.top() + (box.height() - scaled.height()) // 2, scaled.width(), scaled.height())
            painter.drawImage(target, scaled)
            painter.setPen(QColor(0, 0, 0, 40))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(target.adjusted(0, 0, -1, -1))

        # text
        text_rect = self._text_rect(rect)
        text_font = QFont(option.font)
        text_font.setPixelSize(14)
        if state == RegionState.CORRECTED:
            icon = pixmap("corrected", 16)
            if not icon.isNull():
                painter.drawPixmap(text_rect.right() - 16, text_rect.top() + 3, icon)
            text_rect.setRight(text_rect.right() - 20)
        if not region.is_recognised and not region.is_corrected:
            text_font.setItalic(True)
            painter.setFont(text_font)
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, "not read yet")
        else:
            pen_colour = STATE_COLOURS[RegionState.CORRECTED].darker(120) if state == RegionState.CORRECTED \
                else palette.color(QPalette.ColorRole.Text)
            _draw_highlighted(painter, text_rect, region.text, text_font, pen_colour,
                              low_confidence_spans(region, self.low_confidence()))
        painter.restore()

    # -- editing in place ----------------------------------------------------------------------------
    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> QWidget:  # noqa: N802
        editor = QLineEdit(parent)
        editor.setObjectName("regionTextEditor")
        font = QFont(option.font)
        font.setPixelSize(14)
        editor.setFont(font)
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:  # noqa: N802
        assert isinstance(editor, QLineEdit)
        editor.setText(index.data(Qt.ItemDataRole.EditRole) or "")
        editor.selectAll()

    def setModelData(self, editor: QWidget, model: Any, index: QModelIndex) -> None:  # noqa: N802
        assert isinstance(editor, QLineEdit)
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802
        editor.setGeometry(self._text_rect(option.rect).adjusted(-4, -2, 4, 2))


def _draw_highlighted(painter: QPainter, rect: QRect, text: str, font: QFont, colour: QColor,
                      spans: list[tuple[int, int]]) -> None:
    fm = QFontMetrics(font)
    shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
    layout = QTextLayout(shown, font)
    fmt = QTextCharFormat()
    fmt.setBackground(LOW_CONFIDENCE_BG)
    ranges = []
    for start, length in spans:
        if start < len(shown):
            r = QTextLayout.FormatRange()
            r.start, r.length, r.format = start, min(length, len(shown) - start), fmt
            ranges.append(r)
    layout.setFormats(ranges)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(rect.width())
    layout.endLayout()
    painter.setPen(colour)
    y = rect.top() + (rect.height() - fm.height()) / 2
    layout.draw(painter, QRectF(rect.left(), y, rect.width(), fm.height()).topLeft())


class RegionListView(QListView):
    """Drag rows to reorder; the new order goes out as ``reorderRequested``."""

    reorderRequested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("regionList")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setUniformItemSizes(True)
        self.setAlternatingRowColors(False)

    def drop_row_at(self, pos: QPoint) -> int:
        """The row a drop at ``pos`` inserts before (rowCount for the end)."""
        model = self.model()
        index = self.indexAt(pos)
        if not index.isValid():
            return model.rowCount() if model is not None else 0
        rect = self.visualRect(index)
        return index.row() + (1 if pos.y() > rect.center().y() else 0)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        model = self.model()
        if not mime.hasFormat(MIME) or not isinstance(model, RegionListModel):
            super().dropEvent(event)
            return
        moving = [i for i in bytes(mime.data(MIME).data()).decode("ascii").split("\n") if i]
        order = [r.id for r in model.regions()]
        new_order = move_to(order, moving, self.drop_row_at(event.position().toPoint()))
        # Accept as a move; the model's removeRows refuses, so Qt deletes nothing afterwards.
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        if new_order != order:
            self.reorderRequested.emit(new_order)

    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        model = self.model()
        return [model.index(r, 0).data(IdRole) for r in rows]

    def select_ids(self, ids: list[str]) -> None:
        model = self.model()
        sm = self.selectionModel()
        if not isinstance(model, RegionListModel) or sm is None:
            return
        selection = QItemSelection()
        first = None
        for rid in ids:
            row = model.row_of(rid)
            if row >= 0:
                idx = model.index(row)
                selection.select(idx, idx)
                first = first or idx
        sm.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if first is not None:
            sm.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.scrollTo(first)
