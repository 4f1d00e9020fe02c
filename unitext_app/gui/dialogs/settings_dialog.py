"""Settings: device and model for recognition, highlighting threshold, autosave interval."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from ..settings import DEVICES, AppSettings

DEVICE_LABELS = {"auto": "Automatic (GPU if available)", "cpu": "CPU", "cuda": "NVIDIA GPU (CUDA)",
                 "mps": "Apple GPU (MPS)"}


def bundled_model_path() -> str:
    """Where the bundled model should be (no torch import: engine.resources is light)."""
    try:
        from engine.resources import default_model_path
        return str(default_model_path())
    except Exception:
        return ""


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.settings = settings

        self.device = QComboBox()
        for key in DEVICES:
            self.device.addItem(DEVICE_LABELS[key], key)
        self.device.setCurrentIndex(DEVICES.index(settings.device))

        self.model_path = QLineEdit(settings.model_path)
        bundled = bundled_model_path()
        self.model_path.setPlaceholderText("Bundled model" + (f" ({os.path.basename(bundled)})" if bundled else ""))
        self.model_path.setClearButtonEnabled(True)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        reset = QPushButton("Use bundled")
        reset.clicked.connect(lambda: self.model_path.setText(""))
        row = QHBoxLayout()
        row.addWidget(self.model_path, 1)
        row.addWidget(browse)
        row.addWidget(reset)
        self.model_status = QLabel()
        self.model_status.setWordWrap(True)
        self.model_path.textChanged.connect(self._update_status)

        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 256)
        self.batch_size.setValue(settings.batch_size)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(settings.low_confidence)
        self.autosave = QSpinBox()
        self.autosave.setRange(0, 3600)
        self.autosave.setSuffix(" s")
        self.autosave.setSpecialValueText("Off")
        self.autosave.setValue(settings.autosave_seconds)

        form = QFormLayout()
        form.addRow("Device:", self.device)
        form.addRow("Model file:", row)
        form.addRow("", self.model_status)
        form.addRow("Batch size:", self.batch_size)
        form.addRow("Highlight characters below:", self.threshold)
        form.addRow("Autosave every:", self.autosave)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())
        self._update_status()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model file", os.path.dirname(self.model_path.text()),
                                              "UniText models (*.pt);;All files (*)")
        if path:
            self.model_path.setText(path)

    def _update_status(self) -> None:
        path = self.model_path.text().strip() or bundled_model_path()
        if path and os.path.isfile(path):
            self.model_status.setText(f"✓ {path}")
        elif self.model_path.text().strip():
            self.model_status.setText(f"⚠ No file at {path}")
        else:
            self.model_status.setText("⚠ No model: the bundled model is missing; choose a model file.")

    def accept(self) -> None:
        self.settings.device = self.device.currentData()
        self.settings.model_path = self.model_path.text().strip()
        self.settings.batch_size = self.batch_size.value()
        self.settings.low_confidence = self.threshold.value()
        self.settings.autosave_seconds = self.autosave.value()
        self.settings.sync()
        super().accept()
