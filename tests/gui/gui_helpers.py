"""Helpers for the GUI tests: images, a fake recognizer with the Recognizer API, and
mouse events sent to a widget (the canvas viewport) exactly as Qt would deliver them."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget


def write_image(path: Path, width: int = 640, height: int = 400, text_rows: int = 3, **save_kw) -> Path:
    """A white page with dark bars where text would be, saved with PIL."""
    from PIL import Image

    array = np.full((height, width, 3), 245, np.uint8)
    for i in range(text_rows):
        y = 40 + i * 90
        array[y:y + 30, 40:width - 60] = (30, 30, 40)
    Image.fromarray(array).save(path, **save_kw)
    return path


@dataclass
class FakePrediction:
    text: str
    confidence: float
    char_confidences: list[float] = field(default_factory=list)


class FakeRecognizer:
    """Same API as engine.recognizer.Recognizer; reads 'region N' with one doubtful char.

    ``gate`` (a threading.Event) holds the worker before it reads region number
    ``gate_after`` (counted over all calls), so a test can act mid-job (move, cancel).
    """

    loads: list[tuple] = []

    def __init__(self, model_path, device, delay: float = 0.0, gate: threading.Event | None = None,
                 gate_after: int = 0):
        self.model_path = model_path or "fake-model.pt"
        self.device = "cpu"
        self.metadata = {"name": "fake"}
        self.delay = delay
        self.gate = gate
        self.gate_after = gate_after
        self.calls = 0

    def recognize_regions(self, image, regions, batch_size=16, progress=None, should_cancel=None):
        assert isinstance(image, np.ndarray) and image.ndim == 3
        out = []
        for i, region in enumerate(regions):
            if self.gate is not None and self.calls >= self.gate_after:
                self.gate.wait(5)
            if should_cancel is not None and should_cancel():
                raise RuntimeError("cancelled")
            if self.delay:
                time.sleep(self.delay)
            self.calls += 1
            x = int(region.corners()[0][0])
            text = f"text{x}"
            out.append(FakePrediction(text, 0.8, [0.9] * (len(text) - 1) + [0.3]))
            if progress is not None:
                progress(i + 1, len(regions))
        return out


def fake_factory(**kwargs):
    def factory(model_path, device):
        FakeRecognizer.loads.append((model_path, device))
        return FakeRecognizer(model_path, device, **kwargs)
    return factory


# -- mouse helpers -------------------------------------------------------------------------------
def _send(widget: QWidget, kind, pos: QPoint, button, buttons, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    global_pos = QPointF(widget.mapToGlobal(pos))
    event = QMouseEvent(kind, QPointF(pos), global_pos, button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def press(widget, pos, button=Qt.MouseButton.LeftButton, modifiers=Qt.KeyboardModifier.NoModifier):
    _send(widget, QMouseEvent.Type.MouseButtonPress, pos, button, button, modifiers)


def move(widget, pos, buttons=Qt.MouseButton.LeftButton):
    _send(widget, QMouseEvent.Type.MouseMove, pos, Qt.MouseButton.NoButton, buttons)


def release(widget, pos, button=Qt.MouseButton.LeftButton, modifiers=Qt.KeyboardModifier.NoModifier):
    _send(widget, QMouseEvent.Type.MouseButtonRelease, pos, button, Qt.MouseButton.NoButton, modifiers)


def double_click(widget, pos, button=Qt.MouseButton.LeftButton):
    _send(widget, QMouseEvent.Type.MouseButtonDblClick, pos, button, button)


def drag(widget, start: QPoint, end: QPoint, steps: int = 5, button=Qt.MouseButton.LeftButton) -> None:
    press(widget, start, button)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        move(widget, QPoint(round(p.x()), round(p.y())), button)
    release(widget, end, button)


def click(widget, pos, button=Qt.MouseButton.LeftButton, modifiers=Qt.KeyboardModifier.NoModifier):
    press(widget, pos, button, modifiers)
    release(widget, pos, button, modifiers)


def open_and_wait(qtbot, window, *paths, full: bool = True, timeout: int = 10000) -> None:
    """Open files through the window and wait until the current page's pixels are in."""
    before = len(window.doc.pages)
    window.open_paths([str(p) for p in paths])
    qtbot.waitUntil(lambda: len(window.doc.pages) > before, timeout=timeout)
    qtbot.waitUntil(lambda: _loaded(window, full), timeout=timeout)


def _loaded(window, full: bool) -> bool:
    page = window.page
    if page is None:
        return False
    image = window.store.image(page.id)
    return image is not None and (image.full is not None if full else image.preview is not None)


def viewport_point(window, x: float, y: float) -> QPoint:
    return window.canvas.mapFromScene(QPointF(x, y))
