"""Start the desktop application: ``run_gui(paths)`` is what ``unitext`` calls."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from .appinfo import APP_NAME, ORGANISATION, app_version, user_log_dir
from .workers import RecognizerFactory

log = logging.getLogger(__name__)


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication, created once, with the names QSettings and the platform use."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else [sys.argv[0]])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(app_version())
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("unitext")
    from .style import icon
    app.setWindowIcon(icon("unitext"))
    return app  # type: ignore[return-value]


def setup_file_logging() -> None:
    """Log to <user log dir>/unitext.log (Help > Open log folder), unless logging is set up."""
    try:
        from unitext_app.logging_setup import setup_logging
    except ImportError:
        pass
    else:
        setup_logging()
        return
    root = logging.getLogger()
    if any(isinstance(h, logging.FileHandler) for h in root.handlers):
        return
    try:
        folder = user_log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(folder / "unitext.log", maxBytes=2_000_000,
                                                       backupCount=3, encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)


def open_samples(window) -> bool:  # noqa: ANN001
    """The bundled sample pages with their regions drawn, for ``unitext --first-run``."""
    try:
        from unitext_app.samples import sample_document
        document = sample_document()
    except Exception as exc:  # samples missing from a trimmed install: just start empty
        log.info("no samples: %s", exc)
        return False
    if not document.pages:
        return False
    window.set_document(document, None)
    return True


def install_crash_handler(window) -> None:
    """An unhandled exception is logged, the open project autosaved, then a dialog names the
    log file (unitext_app.crash); the handler is removed when the application quits."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from unitext_app.crash import install_excepthook, uninstall_excepthook

    install_excepthook(window.autosaver.autosave_now,
                       lambda text: QMessageBox.critical(window, APP_NAME, text))
    QApplication.instance().aboutToQuit.connect(uninstall_excepthook)


def run_gui(paths: list[str], first_run_samples: bool = False,
            recognizer_factory: RecognizerFactory | None = None) -> int:
    """Open the window with ``paths`` (images and/or a project) and run until it closes.

    ``first_run_samples`` opens the bundled samples and shows the start hint.
    ``recognizer_factory`` replaces the real model loader (tests, embedding).
    """
    setup_file_logging()
    app = create_application()
    from .main_window import MainWindow

    window = MainWindow(recognizer_factory=recognizer_factory)
    window.show()
    log.info("%s %s started", APP_NAME, app_version())
    install_crash_handler(window)

    def after_show() -> None:
        recovered = window.offer_recovery()
        if first_run_samples and not recovered and not paths:
            open_samples(window)
            window.show_hint()
        if paths:
            window.open_paths(list(paths))

    QTimer.singleShot(0, after_show)
    return int(app.exec())
