"""Colours, fonts and icons shared by the canvas and the lists, so states look the same
everywhere (a corrected region is violet on the canvas and in the list)."""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from unitext_app.document import TextRegion

ICON_DIR = Path(__file__).with_name("icons")

ACCENT = QColor("#2563eb")
LOW_CONFIDENCE_BG = QColor(255, 196, 0, 110)  # behind characters read with low confidence
SELECTED = QColor("#f97316")


class RegionState(Enum):
    NEW = "new"  # drawn, not read yet
    READ = "read"  # machine reading, confident
    DOUBTFUL = "doubtful"  # machine reading with a low-confidence character or sequence
    CORRECTED = "corrected"  # a person edited the text
    FAILED = "failed"  # recognised, but the region could not be cut


STATE_COLOURS = {
    RegionState.NEW: QColor("#3b82f6"),
    RegionState.READ: QColor("#10b981"),
    RegionState.DOUBTFUL: QColor("#f59e0b"),
    RegionState.CORRECTED: QColor("#8b5cf6"),
    RegionState.FAILED: QColor("#ef4444"),
}


def region_state(region: TextRegion, low_confidence: float) -> RegionState:
    if region.is_corrected:
        return RegionState.CORRECTED
    if not region.is_recognised:
        return RegionState.NEW
    if region.machine_text == "" and region.confidence in (None, 0.0):
        return RegionState.FAILED
    if region.confidence is not None and region.confidence < low_confidence:
        return RegionState.DOUBTFUL
    if any(c < low_confidence for c in region.char_confidences):
        return RegionState.DOUBTFUL
    return RegionState.READ


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """An SVG from gui/icons, or a standard style icon as a stand-in."""
    path = ICON_DIR / f"{name}.svg"
    if path.is_file():
        ic = QIcon()
        for side in (16, 24, 32, 48):
            ic.addFile(str(path), QSize(side, side))
        return ic
    fallback = _STANDARD.get(name)
    app = QApplication.instance()
    if fallback is not None and app is not None:
        return app.style().standardIcon(fallback)  # type: ignore[union-attr]
    return QIcon()


def pixmap(name: str, side: int) -> QPixmap:
    return icon(name).pixmap(side, side)


_STANDARD = {
    "open": QStyle.StandardPixmap.SP_DialogOpenButton,
    "save": QStyle.StandardPixmap.SP_DialogSaveButton,
    "undo": QStyle.StandardPixmap.SP_ArrowBack,
    "redo": QStyle.StandardPixmap.SP_ArrowForward,
    "delete": QStyle.StandardPixmap.SP_TrashIcon,
    "up": QStyle.StandardPixmap.SP_ArrowUp,
    "down": QStyle.StandardPixmap.SP_ArrowDown,
    "cancel": QStyle.StandardPixmap.SP_DialogCancelButton,
    "settings": QStyle.StandardPixmap.SP_FileDialogDetailedView,
    "folder": QStyle.StandardPixmap.SP_DirOpenIcon,
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
}
