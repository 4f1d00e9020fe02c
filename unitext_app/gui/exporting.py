"""Exporting from the window: the one code path the Export dialog (and tests) use.

The document is copied before exporting in a pool thread, so a PDF of big scans neither
freezes the window nor sees edits made meanwhile.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from unitext_app.document import Document


@dataclass(frozen=True)
class FormatInfo:
    name: str
    description: str
    suffix: str
    file_filter: str


def formats() -> list[FormatInfo]:
    """Every export format the exporters registry offers, in its order."""
    from unitext_app.exporters import EXPORTERS, available_formats
    out = []
    for name in available_formats():
        f = EXPORTERS[name]
        out.append(FormatInfo(name, f.description, f.suffix, f.file_filter()))
    return out


def default_path(project_path: str | None, first_image: str | None, fmt: FormatInfo, folder: str = "") -> str:
    """A sensible file name: beside the project (or the first image), with the format's suffix."""
    base = project_path or first_image
    if not base:
        return str(Path(folder or Path.home()) / f"export{fmt.suffix}")
    p = Path(base)
    name = p.name
    for suffix in (".unitext.json",):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    else:
        name = p.stem
    return str(p.with_name(name + fmt.suffix))


def run_export(document: Document, path: str, fmt: str) -> list[Path]:
    """Export and return the files written; raises ExportError saying why not."""
    from unitext_app.exporters import export_document
    return export_document(document, path, fmt=fmt)


class ExportSignals(QObject):
    finished = Signal(object, str)  # list of paths written, error text ("" when fine)


class ExportJob(QRunnable):
    def __init__(self, document: Document, path: str, fmt: str, signals: ExportSignals) -> None:
        super().__init__()
        self.document, self.path, self.fmt, self.signals = copy.deepcopy(document), path, fmt, signals

    def run(self) -> None:
        try:
            paths = run_export(self.document, self.path, self.fmt)
            self.signals.finished.emit(paths, "")
        except Exception as exc:
            self.signals.finished.emit([], str(exc) or type(exc).__name__)


def start_export(document: Document, path: str, fmt: str, signals: ExportSignals,
                 pool: QThreadPool | None = None) -> None:
    (pool or QThreadPool.globalInstance()).start(ExportJob(document, path, fmt, signals))
