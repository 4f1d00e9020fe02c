"""The app's name, version and per-user folders, in one place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

APP_NAME = "UniText"
ORGANISATION = "UniText"
DIST_NAME = "unitext"


@lru_cache(maxsize=1)
def app_version() -> str:
    """The installed package's version, or "dev" when running from an uninstalled checkout."""
    try:
        from importlib.metadata import PackageNotFoundError, version
        return version(DIST_NAME)
    except PackageNotFoundError:
        return "dev"
    except Exception:  # a broken metadata install must never stop the window opening
        return "dev"


def window_title() -> str:
    return f"{APP_NAME} {app_version()}"


def user_data_dir() -> Path:
    """Per-user data (autosaves live here); honours XDG_DATA_HOME on Linux."""
    from platformdirs import user_data_dir as _dir
    return Path(_dir(DIST_NAME, appauthor=False))


def user_log_dir() -> Path:
    """The folder the log file is in: unitext_app.logging_setup's choice where that module
    exists (it honours $UNITEXT_LOG_DIR and falls back when the folder is unwritable)."""
    try:
        from unitext_app.logging_setup import log_file
    except ImportError:
        from platformdirs import user_log_dir as _dir
        return Path(_dir(DIST_NAME, appauthor=False))
    return log_file().parent
