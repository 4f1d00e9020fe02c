"""Autosave every N seconds to the per-user data folder, and recovery at start-up.

Uses unitext_app.project_io's autosave helpers (atomic writes, one file per project or per
untitled session). An autosave is written only when something changed since the last one,
and removed after a successful save or a clean exit.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from .appinfo import app_version, user_data_dir
from .document_model import DocumentModel

log = logging.getLogger(__name__)


def autosave_dir() -> Path:
    return user_data_dir() / "autosave"


class Autosaver(QObject):
    saved = Signal(str)  # path of the autosave written
    failed = Signal(str)  # reason

    def __init__(self, doc: DocumentModel, seconds: int, folder: Path | None = None,
                 session: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.folder = Path(folder) if folder is not None else autosave_dir()
        self.session = session or str(os.getpid())
        self._written_revision = doc.revision
        self._written_for: str | None | bool = False  # the project path of the last autosave
        self._superseded: Path | None = None  # a recovered autosave, removed after ours is written
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.autosave_now)
        self.set_interval(seconds)

    def set_interval(self, seconds: int) -> None:
        self.timer.stop()
        if seconds > 0:
            self.timer.start(int(seconds * 1000))

    @property
    def needed(self) -> bool:
        return self.doc.is_modified and self.doc.revision != self._written_revision and bool(self.doc.pages)

    def autosave_now(self) -> Path | None:
        if not self.needed:
            return None
        from unitext_app.project_io import ProjectFileError, discard_autosave, write_autosave
        try:
            if self._written_for is not False and self._written_for != self.doc.project_path:
                discard_autosave(self._written_for, self.folder, self.session)  # project renamed
            path = write_autosave(self.doc.document, self.doc.project_path, self.folder,
                                  app_version(), self.session)
        except ProjectFileError as exc:
            log.warning("autosave failed: %s", exc)
            self.failed.emit(str(exc))
            return None
        self._written_revision = self.doc.revision
        self._written_for = self.doc.project_path
        if self._superseded is not None and self._superseded != path:
            self._superseded.unlink(missing_ok=True)
            self._superseded = None
        self.saved.emit(str(path))
        return path

    def discard(self) -> None:
        """After a save or a clean exit: the autosave is no longer needed."""
        from unitext_app.project_io import ProjectFileError, discard_autosave
        for project in {self.doc.project_path, None, self._written_for if self._written_for is not False else None}:
            try:
                discard_autosave(project, self.folder, self.session)
            except ProjectFileError as exc:
                log.warning("%s", exc)
        self._written_revision = self.doc.revision
        self._written_for = False

    def supersede(self, recovered: Path) -> None:
        """Remove ``recovered`` once this session's own autosave of it is safely written."""
        self._superseded = Path(recovered)
        self._written_revision = -1

    def recoverable(self) -> list[Path]:
        from unitext_app.project_io import find_recoverable
        try:
            return find_recoverable(self.folder)
        except OSError:
            return []
