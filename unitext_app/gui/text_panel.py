"""The transcription box for the selected region: edit, then Enter (or leave the box).

Shows the machine reading with low-confidence characters on a coloured background until the
user types; what they commit becomes the region's corrected text, kept apart from the
machine reading (which stays visible underneath and can be restored).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QFont, QKeyEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QTextEdit, QVBoxLayout, QWidget)

from unitext_app.document import TextRegion

from .style import LOW_CONFIDENCE_BG, STATE_COLOURS, RegionState, icon, region_state
from .text_format import confidence_label, low_confidence_spans

KIND_NAMES = {"rect": "Rectangle", "rotated_rect": "Rotated rectangle", "polygon": "Polygon"}


class TranscriptionEdit(QTextEdit):
    """One line of text: Enter commits, Shift+Enter is refused, focus-out commits, Esc reverts."""

    committed = Signal()
    reverted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptRichText(False)
        self.setTabChangesFocus(True)
        self.setObjectName("transcriptionEdit")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.setFont(font)
        self.setPlaceholderText("Select a region to see and edit its text")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.committed.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.reverted.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.committed.emit()


class TextPanel(QWidget):
    textCommitted = Signal(str, str)  # region id, text
    revertRequested = Signal(str)  # region id: back to the machine reading

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.region_id: str | None = None
        self._shown = ""
        self._loading = False
        self.low_confidence = 0.5

        self.header = QLabel("No region selected")
        self.header.setObjectName("textPanelHeader")
        self.state_label = QLabel("")
        self.state_label.setObjectName("textPanelState")
        self.editor = TranscriptionEdit()
        self.editor.setFixedHeight(64)
        self.machine_label = QLabel("")
        self.machine_label.setWordWrap(True)
        self.machine_label.setObjectName("machineReading")
        self.machine_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.revert_button = QPushButton(icon("revert"), "Use machine reading")
        self.revert_button.setToolTip("Drop the correction and go back to what the model read")
        self.apply_button = QPushButton(icon("corrected"), "Apply")
        self.apply_button.setToolTip("Keep this text as the region's transcription (Enter)")

        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.state_label)
        self.machine_label.setStyleSheet("color: palette(placeholder-text);")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.editor)
        layout.addWidget(self.machine_label)
        layout.addLayout(buttons)

        self.editor.committed.connect(self.commit)
        self.editor.reverted.connect(self._discard_typing)
        self.editor.textChanged.connect(self._on_typed)
        self.apply_button.clicked.connect(self.commit)
        self.revert_button.clicked.connect(self._revert)
        self.show_region(None)

    def show_region(self, region: TextRegion | None, order: int = 0) -> None:
        """Display a region (or none); typing in progress for another region is committed."""
        if region is None or region.id != self.region_id:
            self.commit()
        self.region_id = region.id if region is not None else None
        self._loading = True
        try:
            enabled = region is not None
            self.editor.setEnabled(enabled)
            self.apply_button.setEnabled(enabled)
            if region is None:
                self.header.setText("No region selected")
                self.state_label.setText("")
                self.machine_label.setText("")
                self.revert_button.setEnabled(False)
                self.editor.clear()
                self._shown = ""
                return
            kind = KIND_NAMES.get(region.shape.kind, "Region")
            self.header.setText(f"<b>Region {order}</b> · {kind}")
            state = region_state(region, self.low_confidence)
            self.state_label.setText(_state_html(state, region))
            self.revert_button.setEnabled(region.is_corrected)
            if region.machine_text is not None and region.is_corrected:
                self.machine_label.setText(f"Machine reading: {region.machine_text}")
            elif region.machine_text is None:
                self.machine_label.setText("Not recognised yet: type the text, or press Ctrl+R.")
            else:
                self.machine_label.setText("Characters on a yellow background were read with low confidence.")
            if self.editor.hasFocus() and self.editor.toPlainText() != self._shown and region.text == self._shown:
                return  # the user is typing and nothing changed underneath: leave their text
            self._shown = region.text
            self.editor.setPlainText(region.text)
            self._highlight(low_confidence_spans(region, self.low_confidence))
        finally:
            self._loading = False

    def _highlight(self, spans: list[tuple[int, int]]) -> None:
        cursor = QTextCursor(self.editor.document())
        fmt = QTextCharFormat()
        fmt.setBackground(LOW_CONFIDENCE_BG)
        for start, length in spans:
            cursor.setPosition(start)
            cursor.setPosition(start + length, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(fmt)
        end = QTextCursor(self.editor.document())
        end.movePosition(QTextCursor.MoveOperation.End)
        self.editor.setCurrentCharFormat(QTextCharFormat())
        self.editor.setTextCursor(end)

    def _on_typed(self) -> None:
        if self._loading:
            return
        # Once the user types, the highlights no longer describe this text.
        self._loading = True
        try:
            cursor = QTextCursor(self.editor.document())
            pos = self.editor.textCursor().position()
            cursor.select(QTextCursor.SelectionType.Document)
            cursor.setCharFormat(QTextCharFormat())
            c = self.editor.textCursor()
            c.setPosition(min(pos, len(self.editor.toPlainText())))
            self.editor.setTextCursor(c)
        finally:
            self._loading = False

    def text(self) -> str:
        return self.editor.toPlainText().replace("\n", " ")

    def commit(self) -> None:
        if self.region_id is None or self._loading:
            return
        text = self.text()
        if text != self._shown:
            self._shown = text
            self.textCommitted.emit(self.region_id, text)

    def _discard_typing(self) -> None:
        self._loading = True
        try:
            self.editor.setPlainText(self._shown)
        finally:
            self._loading = False

    def _revert(self) -> None:
        if self.region_id is not None:
            self.revertRequested.emit(self.region_id)

    def focus_editor(self) -> None:
        self.editor.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.editor.selectAll()


def _state_html(state: RegionState, region: TextRegion) -> str:
    colour = STATE_COLOURS[state].name()
    words = {RegionState.NEW: "not read", RegionState.READ: "read",
             RegionState.DOUBTFUL: "check", RegionState.CORRECTED: "corrected",
             RegionState.FAILED: "could not be read"}[state]
    conf = confidence_label(region)
    extra = f" · {conf}" if conf and state != RegionState.CORRECTED else ""
    return f'<span style="color:{colour}; font-weight:600">● {words}{extra}</span>'
