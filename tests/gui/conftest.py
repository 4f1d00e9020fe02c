"""Fixtures for the GUI tests: isolated settings and folders for every test, and images.

Helpers (mouse events, the fake recognizer) live in gui_helpers.py beside this file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import unitext_app.gui  # noqa: E402,F401
from PySide6.QtCore import QSettings  # noqa: E402

from gui_helpers import write_image  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Settings, autosaves and logs go to a fresh temporary folder for every test."""
    root = tmp_path_factory.mktemp("user")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(root / var.lower()))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(root / "settings"))
        QSettings.setPath(fmt, QSettings.Scope.SystemScope, str(root / "system-settings"))
    yield root


@pytest.fixture(autouse=True, scope="module")
def _gc_back_on_after_module():
    """The window runs the garbage collector on the GUI thread only (gc_guard); give the
    rest of the test session automatic collection back when a GUI module ends."""
    yield
    from unitext_app.gui import gc_guard
    gc_guard.uninstall()


@pytest.fixture
def image_file(tmp_path) -> Path:
    return write_image(tmp_path / "page.png")


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    """No test may block on a modal dialog: message boxes are recorded and answered
    (question -> Discard/No), file dialogs and dialog exec() fail loudly unless a test
    replaces them. Returns the list of recorded (kind, title, text) calls."""
    from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

    from unitext_app.gui import messages

    calls: list[tuple[str, str, str]] = []

    def box(kind, answer):
        def record(parent, title, text, *args, **kwargs):
            calls.append((kind, title, text))
            return answer
        return staticmethod(record)

    B = QMessageBox.StandardButton
    monkeypatch.setattr(QMessageBox, "warning", box("warning", B.Ok))
    monkeypatch.setattr(QMessageBox, "critical", box("critical", B.Ok))
    monkeypatch.setattr(QMessageBox, "information", box("information", B.Ok))
    monkeypatch.setattr(QMessageBox, "question", box("question", B.Discard))
    monkeypatch.setattr(QMessageBox, "about", box("about", None))
    monkeypatch.setattr(messages, "ask_recover",
                        lambda parent, text: calls.append(("ask_recover", "", text)) or "later")

    def refuse(*args, **kwargs):
        raise AssertionError("a test opened a real file dialog or modal dialog")

    for name in ("getOpenFileName", "getOpenFileNames", "getSaveFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(refuse))
    monkeypatch.setattr(QDialog, "exec", refuse)
    return calls


@pytest.fixture
def window(qtbot):
    """The real main window with the fake recognizer injected."""
    from gui_helpers import fake_factory
    from unitext_app.gui.main_window import MainWindow

    w = MainWindow(recognizer_factory=fake_factory())
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.isVisible():
        w.close()
