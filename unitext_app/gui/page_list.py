"""Thumbnails of the open pages (several images, or the pages of a multi-page TIFF)."""

from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from unitext_app.document import Page

THUMB = QSize(120, 120)


class PageList(QListWidget):
    pageActivated = Signal(int)  # index of the page the user picked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageList")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListWidget.Movement.Static)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setIconSize(THUMB)
        self.setSpacing(6)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(True)
        self.currentRowChanged.connect(self._on_row)
        self._updating = False

    def set_pages(self, pages: list[Page], current: int) -> None:
        self._updating = True
        try:
            self.clear()
            counts: dict[str, int] = {}
            for page in pages:
                counts[page.image_path] = counts.get(page.image_path, 0) + 1
            for n, page in enumerate(pages, 1):
                name = os.path.basename(page.image_path)
                if counts[page.image_path] > 1:
                    name = f"{name} p.{page.frame + 1}"
                item = QListWidgetItem(_placeholder(), f"{n}. {name}")
                item.setToolTip(f"{page.image_path}\n{page.width} x {page.height} px, "
                                f"{len(page.regions)} region(s)")
                item.setData(Qt.ItemDataRole.UserRole, page.id)
                item.setSizeHint(QSize(THUMB.width() + 24, THUMB.height() + 40))
                self.addItem(item)
            if 0 <= current < self.count():
                self.setCurrentRow(current)
        finally:
            self._updating = False

    def set_thumbnail(self, page_id: str, image: QImage) -> None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == page_id:
                item.setIcon(QIcon(QPixmap.fromImage(image)))

    def set_current(self, index: int) -> None:
        self._updating = True
        try:
            self.setCurrentRow(index)
        finally:
            self._updating = False

    def _on_row(self, row: int) -> None:
        if not self._updating and row >= 0:
            self.pageActivated.emit(row)


def _placeholder() -> QIcon:
    pm = QPixmap(THUMB)
    pm.fill(QColor("#e5e7eb"))
    p = QPainter(pm)
    p.setPen(QColor("#9ca3af"))
    p.drawText(pm.rect(), Qt.AlignmentFlag.AlignCenter, "…")
    p.end()
    return QIcon(pm)
