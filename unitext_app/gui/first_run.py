"""The first-run hint: the four things that matter, shown over the canvas until dismissed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from .style import pixmap

STEPS = (
    ("open", "Open an image", "Ctrl+O, or drop files on the window"),
    ("rect", "Draw a region around each line", "R rectangle · T rotated · P polygon"),
    ("recognise", "Recognise the text", "Ctrl+R selected · Ctrl+Shift+R page"),
    ("export", "Export", "Ctrl+E: text, JSON, CSV, PAGE, ALTO, hOCR, PDF"),
)


class FirstRunHint(QFrame):
    dismissed = Signal(bool)  # True: do not show again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunHint")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setStyleSheet(
            "#firstRunHint { background: rgba(255,255,255,246); border: 1px solid #d1d5db;"
            " border-radius: 10px; }"
            "#firstRunHint QLabel#hintTitle { font-size: 16px; font-weight: 600; }"
            "#firstRunHint QLabel.step { font-weight: 600; }"
            "#firstRunHint QLabel.keys { color: #6b7280; }")
        title = QLabel("Get started with UniText")
        title.setObjectName("hintTitle")
        close = QPushButton("✕")
        close.setObjectName("hintClose")
        close.setFlat(True)
        close.setFixedSize(24, 24)
        close.setToolTip("Hide for now")
        close.clicked.connect(lambda: self._dismiss(self.never.isChecked()))
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(close)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        for row, (icon_name, what, keys) in enumerate(STEPS):
            badge = QLabel()
            badge.setPixmap(pixmap(icon_name, 24))
            step = QLabel(f"{row + 1}. {what}")
            step.setProperty("class", "step")
            hint = QLabel(keys)
            hint.setProperty("class", "keys")
            grid.addWidget(badge, row * 2, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(step, row * 2, 1)
            grid.addWidget(hint, row * 2 + 1, 1)
        self.never = QCheckBox("Don't show this again")
        self.never.setChecked(True)
        ok = QPushButton("Got it")
        ok.setObjectName("hintOk")
        ok.setDefault(True)
        ok.clicked.connect(lambda: self._dismiss(self.never.isChecked()))
        foot = QHBoxLayout()
        foot.addWidget(self.never, 1)
        foot.addWidget(ok)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addLayout(head)
        layout.addLayout(grid)
        layout.addLayout(foot)
        self.adjustSize()

    def _dismiss(self, forever: bool) -> None:
        self.hide()
        self.dismissed.emit(forever)

    def place(self) -> None:
        """Top right of the parent, clear of the scroll bar."""
        parent = self.parentWidget()
        if parent is None:
            return
        self.adjustSize()
        self.move(max(8, parent.width() - self.width() - 24), 16)
