"""Guards the PySide6 pin in pyproject.toml: PySide6 6.12 under CPython 3.11 drops a reference
to None/True on every void call and signal emit, and the process aborts within minutes."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget


class _Emitter(QObject):
    fired = Signal(int)


@pytest.mark.gui
def test_void_calls_and_emits_keep_singleton_references(qtbot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    emitter = _Emitter()
    before = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    for i in range(500):
        widget.update()
        widget.setEnabled(True)
        emitter.fired.emit(i)
    after = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    assert after[0] >= before[0] - 50 and after[1] >= before[1] - 50, (before, after)
