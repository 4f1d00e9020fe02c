"""The application shell: settings persistence and isolation, first-run hint, window
geometry, title and version, Help menu entries, run_gui, and no torch in the GUI process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from unitext_app.gui.appinfo import app_version
from unitext_app.gui.settings import AppSettings

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[2]


def test_settings_are_isolated_and_persist(isolated_user_dirs):
    s = AppSettings()
    assert s.device == "auto" and s.model_path == "" and s.autosave_seconds == 60
    s.device, s.model_path, s.autosave_seconds = "cpu", "/models/x.pt", 30
    s.sync()
    again = AppSettings()
    assert (again.device, again.model_path, again.autosave_seconds) == ("cpu", "/models/x.pt", 30)
    store = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "UniText", "UniText")
    assert store.fileName().startswith(str(isolated_user_dirs)), store.fileName()


def test_invalid_settings_fall_back(isolated_user_dirs):
    s = AppSettings()
    s.set_value("recognition/device", "tpu")
    s.set_value("autosave/seconds", "soon")
    assert s.device == "auto" and s.autosave_seconds == 60


def test_settings_dialog_saves(window, qtbot):
    from unitext_app.gui.dialogs.settings_dialog import SettingsDialog
    dialog = SettingsDialog(window.settings, window)
    dialog.device.setCurrentIndex(1)
    dialog.model_path.setText("/nowhere/model.pt")
    assert "No file" in dialog.model_status.text()
    dialog.threshold.setValue(0.7)
    dialog.autosave.setValue(15)
    dialog.accept()
    window.apply_settings()
    assert window.settings.device == "cpu" and window.settings.model_path == "/nowhere/model.pt"
    assert window.settings.low_confidence == pytest.approx(0.7)
    assert window.text_panel.low_confidence == pytest.approx(0.7)
    assert window.autosaver.timer.interval() == 15000


def test_first_run_hint_dismissal_is_remembered(qtbot):
    from unitext_app.gui.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    assert w.hint.isVisible()
    from PySide6.QtWidgets import QLabel, QPushButton
    steps = " ".join(label.text() for label in w.hint.findChildren(QLabel))
    for word in ("Open", "Draw", "Recognise", "Export"):
        assert word in steps
    w.hint.findChild(QPushButton, "hintOk").click()
    assert not w.hint.isVisible()
    assert w.settings.first_run_hint_dismissed
    w.close()
    w2 = MainWindow()
    qtbot.addWidget(w2)
    w2.show()
    assert not w2.hint.isVisible()
    w2.act.show_hint.trigger()
    assert w2.hint.isVisible()
    w2.close()


def test_window_remembers_geometry_and_docks(qtbot):
    from unitext_app.gui.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.resize(700, 520)  # the offscreen screen is 800 x 600
    w.text_dock.hide()
    w.close()
    w2 = MainWindow()
    qtbot.addWidget(w2)
    w2.show()
    assert (w2.width(), w2.height()) == (700, 520)
    assert not w2.text_dock.isVisible() and w2.regions_dock.isVisible()
    w2.close()


def test_title_has_name_and_version(window):
    assert window.windowTitle() == f"UniText {app_version()}"
    assert app_version() != ""


def test_open_log_folder(window, monkeypatch, isolated_user_dirs):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    from unitext_app.gui.appinfo import user_log_dir
    folder = window.open_log_folder()
    assert folder.is_dir() and opened == [QUrl.fromLocalFile(str(folder))]
    assert folder == user_log_dir()
    assert window.act.log_folder.text().replace("&", "") == "Open log folder"


def test_every_common_action_has_a_shortcut(window):
    for name in ("open", "save", "export", "delete", "select_all", "tool_select", "tool_rect", "tool_rotated",
                 "tool_polygon", "recognise_selected", "recognise_page", "cancel", "zoom_in", "zoom_out",
                 "fit", "actual", "move_up", "move_down", "next_page", "previous_page", "settings", "edit_text"):
        assert not window.act[name].shortcut().isEmpty(), name
    assert not window.undo_action.shortcut().isEmpty() and not window.redo_action.shortcut().isEmpty()
    keys = [k for _, _, k in window.act.shortcut_table()]
    assert len(keys) == len(set(keys)), "no shortcut is bound twice"


def test_zoom_actions_and_status(window, qtbot, image_file):
    from gui_helpers import open_and_wait
    open_and_wait(qtbot, window, image_file)
    window.act.actual.trigger()
    assert window.zoom_label.text() == "100%"
    window.act.zoom_in.trigger()
    assert window.zoom_label.text() == "120%"
    window.act.fit.trigger()
    assert window.canvas.zoom() != pytest.approx(1.2)


def test_run_gui_opens_paths_and_returns(qtbot, image_file, monkeypatch):
    """run_gui with a path: the window opens it; quitting returns the exit code."""
    from unitext_app.gui import app as app_module
    from unitext_app.gui.main_window import MainWindow

    monkeypatch.setattr(app_module, "setup_file_logging", lambda: None)  # no handler left behind
    seen = []
    import sys
    hook_before = sys.excepthook

    def check_and_quit():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and windows[-1].page is not None:
            seen.append(windows[-1].page.image_path)
            seen.append(sys.excepthook is not hook_before)  # the crash handler is installed
            windows[-1].close()
            QApplication.instance().exit(0)
        else:
            QTimer.singleShot(50, check_and_quit)

    # Closing the last window would post a Quit event that outlives this exec() and ends
    # every later test's event loop at once: quit explicitly instead.
    app = QApplication.instance()
    app.setQuitOnLastWindowClosed(False)
    try:
        QTimer.singleShot(50, check_and_quit)
        assert app_module.run_gui([str(image_file)]) == 0
    finally:
        app.setQuitOnLastWindowClosed(True)
    assert seen == [str(image_file), True]
    assert sys.excepthook is hook_before  # ...and removed when the application quits


def test_first_run_samples_open(qtbot, monkeypatch):
    from unitext_app.gui import app as app_module
    from unitext_app.gui.main_window import MainWindow
    w = MainWindow()
    qtbot.addWidget(w)
    if not app_module.open_samples(w):
        pytest.skip("bundled samples not available")
    assert len(w.doc.pages) >= 1 and w.page.regions
    w.close()


def test_gui_process_never_imports_torch(tmp_path, image_file):
    code = f"""
import sys
from unitext_app.gui.app import create_application
app = create_application()
from unitext_app.gui.main_window import MainWindow
from unitext_app.gui.dialogs.settings_dialog import SettingsDialog
from unitext_app.gui.exporting import formats
w = MainWindow()
w.show()
w.open_paths([{str(image_file)!r}])
SettingsDialog(w.settings, w)
formats()
import time
t = time.time()
while w.page is None and time.time() - t < 10:
    app.processEvents()
assert w.page is not None
print("TORCH" if "torch" in sys.modules else "NO-TORCH")
w.doc.mark_saved("x")
w.close()
"""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert "NO-TORCH" in out.stdout, out.stdout + out.stderr
