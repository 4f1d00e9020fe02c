"""Logging for the desktop app and the command line: a rotating file in the per-user log
folder, and warnings (and worse) on standard error.

The log folder is platformdirs' ``user_log_dir("unitext")``:
``~/.local/state/unitext/log`` on Linux, ``%LOCALAPPDATA%\\unitext\\Logs`` on Windows,
``~/Library/Logs/unitext`` on macOS. ``$UNITEXT_LOG_DIR`` overrides it (tests, portable
installs). Qt-free, so the command line and the crash handler can use it too.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import tempfile
from pathlib import Path

APP_DIR_NAME = "unitext"
LOG_FILE_NAME = "unitext.log"
LOG_DIR_ENV = "UNITEXT_LOG_DIR"
MAX_BYTES = 2_000_000
BACKUP_COUNT = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"

_MARK = "_unitext_handler"  # attribute set on the handlers this module installs


def log_dir() -> Path:
    """The per-user log folder (not created here)."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_log_dir
    return Path(user_log_dir(APP_DIR_NAME, appauthor=False))


def log_file() -> Path:
    """The file :func:`setup_logging` writes to (or already writes to)."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, _MARK, None) == "file":
            return Path(handler.baseFilename)  # type: ignore[attr-defined]
    return log_dir() / LOG_FILE_NAME


def _open_file_handler(folder: Path) -> logging.handlers.RotatingFileHandler:
    folder.mkdir(parents=True, exist_ok=True)
    return logging.handlers.RotatingFileHandler(folder / LOG_FILE_NAME, maxBytes=MAX_BYTES,
                                                backupCount=BACKUP_COUNT, encoding="utf-8",
                                                delay=False)


def setup_logging(level: int = logging.INFO, stderr_level: int = logging.WARNING,
                  folder: Path | None = None) -> Path:
    """Log ``level`` and above to ``<log dir>/unitext.log`` (rotated at 2 MB, 3 old files
    kept) and ``stderr_level`` and above to standard error. Returns the log file's path.

    Idempotent: a second call returns the same path and adds nothing. If the log folder
    cannot be written (read-only home, full disk) the log goes to the temporary folder
    instead; logging never stops the app from starting.
    """
    root = logging.getLogger()
    existing = [h for h in root.handlers if getattr(h, _MARK, None) == "file"]
    if existing:
        return Path(existing[0].baseFilename)  # type: ignore[attr-defined]
    wanted = Path(folder) if folder is not None else log_dir()
    try:
        handler = _open_file_handler(wanted)
    except OSError:
        handler = _open_file_handler(Path(tempfile.gettempdir()) / f"{APP_DIR_NAME}-log")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(level)
    setattr(handler, _MARK, "file")
    root.addHandler(handler)
    # A windowed app on Windows has no stderr (sys.stderr is None): then the file is all.
    if sys.stderr is not None and not any(getattr(h, _MARK, None) == "stderr" for h in root.handlers):
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(stderr_level)
        console.setFormatter(logging.Formatter("unitext: %(levelname)s: %(message)s"))
        setattr(console, _MARK, "stderr")
        root.addHandler(console)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    logging.captureWarnings(True)
    return Path(handler.baseFilename)


def teardown_logging() -> None:
    """Remove and close the handlers :func:`setup_logging` installed (tests, embedding)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, None)]:
        root.removeHandler(handler)
        handler.close()
    logging.captureWarnings(False)
