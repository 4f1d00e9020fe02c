"""Export: pick a format and a file, export in the background, say where it went."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget)

from unitext_app.document import Document

from ..exporting import ExportSignals, FormatInfo, default_path, formats, start_export


class ExportDialog(QDialog):
    """``choose_path`` is the file chooser; tests replace it to bypass the native dialog."""

    exported = Signal(list)  # paths written

    def __init__(self, document: Document, project_path: str | None, last_format: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setObjectName("exportDialog")
        self.document = document
        self.project_path = project_path
        self.formats = formats()
        self.written: list = []
        self.error = ""

        self.format_box = QComboBox()
        for f in self.formats:
            self.format_box.addItem(f"{f.description}  ({f.suffix})", f.name)
        names = [f.name for f in self.formats]
        if last_format in names:
            self.format_box.setCurrentIndex(names.index(last_format))
        self.path_edit = QLineEdit()
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Format:", self.format_box)
        form.addRow("File:", row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.signals = ExportSignals(self)
        self.signals.finished.connect(self._on_finished)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self._format_changed()
        self.resize(600, self.sizeHint().height())

    @property
    def current_format(self) -> FormatInfo:
        return self.formats[self.format_box.currentIndex()]

    def set_format(self, name: str) -> None:
        self.format_box.setCurrentIndex([f.name for f in self.formats].index(name))

    def _format_changed(self) -> None:
        fmt = self.current_format
        first = self.document.pages[0].image_path if self.document.pages else None
        current = self.path_edit.text().strip()
        if current:
            stem = current
            for f in self.formats:
                if stem.lower().endswith(f.suffix):
                    stem = stem[: -len(f.suffix)]
                    break
            else:
                stem = os.path.splitext(stem)[0]
            self.path_edit.setText(stem + fmt.suffix)
        else:
            self.path_edit.setText(default_path(self.project_path, first, fmt))

    def choose_path(self, suggested: str, fmt: FormatInfo) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Export as", suggested, fmt.file_filter)
        return path

    def browse(self) -> None:
        path = self.choose_path(self.path_edit.text(), self.current_format)
        if path:
            self.path_edit.setText(path)

    def export(self) -> None:
        """Export to the chosen file (asking for one first if the box is empty)."""
        path = self.path_edit.text().strip()
        if not path:
            self.browse()
            path = self.path_edit.text().strip()
            if not path:
                return
        self.export_button.setEnabled(False)
        self.status.setText("Exporting…")
        start_export(self.document, path, self.current_format.name, self.signals)

    def _on_finished(self, paths: list, error: str) -> None:
        self.export_button.setEnabled(True)
        self.written, self.error = list(paths), error
        if error:
            self.status.setText(f"<span style='color:#b91c1c'>{error}</span>")
            return
        self.exported.emit(list(paths))
        self.accept()
