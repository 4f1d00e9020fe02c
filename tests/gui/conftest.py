"""Fixtures for the GUI tests: isolated settings and folders for every test, and images.

Helpers (mouse events, the fake recognizer) live in gui_helpers.py beside this file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

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


@pytest.fixture
def image_file(tmp_path) -> Path:
    return write_image(tmp_path / "page.png")
