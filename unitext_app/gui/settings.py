"""Per-user preferences over QSettings (organisation "UniText"), typed and in one place.

Tests isolate these by pointing QSettings at a temporary folder (see tests/gui/conftest.py);
nothing else here knows about files.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QSettings

from .appinfo import APP_NAME, ORGANISATION

DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_RECENT = 10


def qsettings() -> QSettings:
    """The user's settings store; an INI file so tests can redirect it with QSettings.setPath."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APP_NAME)


class AppSettings:
    """Typed accessors; each read goes to QSettings so several windows agree."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._s = store or qsettings()

    def sync(self) -> None:
        self._s.sync()

    def value(self, key: str, default: object = None) -> object:
        return self._s.value(key, default)

    def set_value(self, key: str, value: object) -> None:
        self._s.setValue(key, value)

    # -- recognition ----------------------------------------------------------------------
    @property
    def device(self) -> str:
        value = str(self._s.value("recognition/device", "auto"))
        return value if value in DEVICES else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self._s.setValue("recognition/device", value if value in DEVICES else "auto")

    @property
    def model_path(self) -> str:
        """An explicit model file, or "" for the bundled default model."""
        return str(self._s.value("recognition/model_path", "") or "")

    @model_path.setter
    def model_path(self, value: str) -> None:
        self._s.setValue("recognition/model_path", value or "")

    @property
    def batch_size(self) -> int:
        return _int(self._s.value("recognition/batch_size", 16), 16, 1, 256)

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._s.setValue("recognition/batch_size", int(value))

    @property
    def low_confidence(self) -> float:
        """Characters read with less confidence than this are highlighted."""
        try:
            value = float(self._s.value("display/low_confidence", 0.5))
        except (TypeError, ValueError):
            value = 0.5
        return min(1.0, max(0.0, value))

    @low_confidence.setter
    def low_confidence(self, value: float) -> None:
        self._s.setValue("display/low_confidence", float(value))

    # -- autosave -------------------------------------------------------------------------
    @property
    def autosave_seconds(self) -> int:
        """0 turns autosave off."""
        return _int(self._s.value("autosave/seconds", 60), 60, 0, 3600)

    @autosave_seconds.setter
    def autosave_seconds(self, value: int) -> None:
        self._s.setValue("autosave/seconds", int(value))

    # -- recent files and folders ---------------------------------------------------------
    @property
    def recent_files(self) -> list[str]:
        value = self._s.value("files/recent", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or [])][:MAX_RECENT]

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        files = [path] + [p for p in self.recent_files if p != path]
        self._s.setValue("files/recent", files[:MAX_RECENT])

    def clear_recent(self) -> None:
        self._s.setValue("files/recent", [])

    @property
    def last_dir(self) -> str:
        return str(self._s.value("files/last_dir", "") or "")

    @last_dir.setter
    def last_dir(self, value: str) -> None:
        self._s.setValue("files/last_dir", value)

    # -- window ---------------------------------------------------------------------------
    @property
    def first_run_hint_dismissed(self) -> bool:
        return _bool(self._s.value("ui/first_run_hint_dismissed", False))

    @first_run_hint_dismissed.setter
    def first_run_hint_dismissed(self, value: bool) -> None:
        self._s.setValue("ui/first_run_hint_dismissed", bool(value))

    def window_geometry(self) -> QByteArray | None:
        value = self._s.value("ui/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self._s.value("ui/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("ui/geometry", geometry)
        self._s.setValue("ui/state", state)


def _int(value: object, default: int, lo: int, hi: int) -> int:
    try:
        return min(hi, max(lo, int(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
