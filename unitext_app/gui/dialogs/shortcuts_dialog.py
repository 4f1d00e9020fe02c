"""Help > Keyboard shortcuts: the table, generated from the actions themselves."""

from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

EXTRA = (
    ("Canvas", "Zoom around the cursor", "Mouse wheel"),
    ("Canvas", "Pan", "Middle drag, Space+drag"),
    ("Canvas", "Add to / remove from selection", "Ctrl+click"),
    ("Canvas", "Nudge selected regions", "Arrow keys (Shift: 10 px)"),
    ("Canvas", "Finish polygon / rotated rectangle", "Enter, double-click"),
    ("Canvas", "Remove last polygon point", "Backspace"),
    ("Canvas", "Cancel drawing, then deselect", "Esc"),
    ("Transcription", "Apply the text", "Enter"),
    ("Transcription", "Discard typing", "Esc"),
)


class ShortcutsDialog(QDialog):
    def __init__(self, rows: list[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = list(rows) + list(EXTRA)
        table = QTableWidget(len(rows), 3)
        table.setHorizontalHeaderLabels(["Where", "Action", "Keys"])
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(value))
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Single-letter tool keys work whenever no text box has the focus."))
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(620, 560)
