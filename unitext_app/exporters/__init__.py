"""Exporting a document: plain text, JSON, CSV, PAGE XML, ALTO XML, hOCR, searchable PDF.

Qt-free, shared by the GUI and ``unitext read``::

    from unitext_app.exporters import export_document, export_to_string, available_formats
    export_document(doc, "out/letter.alto.xml")          # format from the suffix
    export_document(doc, "out/letter.xml", fmt="page")   # or named
    text = export_to_string(doc, "text")

Each format lives in its own module whose docstring documents the file layout and the
decisions taken (text: :mod:`.text`, json: :mod:`.json_export`, csv: :mod:`.csv_export`,
page: :mod:`.page_xml`, alto: :mod:`.alto`, hocr: :mod:`.hocr`, pdf: :mod:`.pdf`).

Common rules:

* Text is the final text (correction if any, else machine reading); control characters are
  removed and line breaks inside a region become spaces; XML special characters are escaped
  by lxml. Empty documents, pages and regions without text are handled by every format
  (PAGE, ALTO and PDF need at least one page and say so).
* Files are written atomically (temporary file in the same folder, fsync, rename): a failed
  export leaves no half-written file and an existing file untouched. Failures raise
  :class:`ExportError` naming the path and the reason.
* ``.xml`` alone is ambiguous (PAGE or ALTO): use ``.page.xml`` / ``.alto.xml`` or pass
  ``fmt``.
* PAGE XML describes one image per file: a multi-page document gives ``name_p1.page.xml``,
  ``name_p2.page.xml``, ... (see :mod:`.page_xml`). :func:`export_document` returns the
  paths written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable, Union

from unitext_app.document import Document
from unitext_app.exporters import alto, csv_export, hocr, json_export, page_xml, pdf, text
from unitext_app.exporters._common import ExportContext, ExportError, app_version
from unitext_app.project_io import atomic_write_many, describe_os_error

__all__ = ["EXPORTERS", "ExportError", "ExportFormat", "available_formats", "export_document",
           "export_to_string", "format_for_path"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name, file suffixes (the first is the default), a label for
    file dialogs, whether it is binary, and whether it writes one file per page."""

    name: str
    description: str
    suffixes: tuple[str, ...]
    binary: bool
    one_file_per_page: bool
    render: Callable[[Document, ExportContext], list[bytes]]

    @property
    def suffix(self) -> str:
        return self.suffixes[0]

    def file_filter(self) -> str:
        """A Qt-style file dialog filter, e.g. ``"ALTO XML v4 (*.alto.xml *.xml)"``."""
        return f"{self.description} ({' '.join('*' + s for s in self.suffixes)})"


def _fmt(module: ModuleType) -> ExportFormat:
    return ExportFormat(name=module.NAME, description=module.DESCRIPTION,
                        suffixes=tuple(module.SUFFIXES), binary=module.BINARY,
                        one_file_per_page=getattr(module, "ONE_FILE_PER_PAGE", False),
                        render=module.render)


EXPORTERS: dict[str, ExportFormat] = {
    f.name: f for f in map(_fmt, (text, json_export, csv_export, page_xml, alto, hocr, pdf))}


def available_formats() -> list[str]:
    """Format names, in a stable order (text, json, csv, page, alto, hocr, pdf)."""
    return list(EXPORTERS)


def format_for_path(path: PathLike) -> str:
    """The format a file name asks for, from its (possibly double) suffix.

    Raises :class:`ExportError` for an unknown suffix or a bare ``.xml``.
    """
    name = Path(path).name.lower()
    best: tuple[int, list[str]] = (0, [])
    for fmt in EXPORTERS.values():
        for suffix in fmt.suffixes:
            if name.endswith(suffix) and len(name) > len(suffix):
                if len(suffix) > best[0]:
                    best = (len(suffix), [fmt.name])
                elif len(suffix) == best[0] and fmt.name not in best[1]:
                    best[1].append(fmt.name)
    if not best[1]:
        known = ", ".join(s for f in EXPORTERS.values() for s in f.suffixes[:1])
        raise ExportError(path, f"unknown export format for this file name (use one of "
                                f"{known}, or name the format)")
    if len(best[1]) > 1:
        raise ExportError(path, f"the suffix is ambiguous ({' or '.join(best[1])}); use "
                                f".page.xml or .alto.xml, or name the format")
    return best[1][0]


def _get(fmt: str, path: PathLike | None = None) -> ExportFormat:
    try:
        return EXPORTERS[fmt.lower()]
    except KeyError:
        raise ExportError(path, f"unknown export format {fmt!r} (known: "
                                f"{', '.join(EXPORTERS)})") from None


def _context(out_path: Path | None) -> ExportContext:
    return ExportContext(out_path=out_path, generator="UniText", version=app_version())


def _render(format_: ExportFormat, doc: Document, ctx: ExportContext) -> list[bytes]:
    try:
        return format_.render(doc, ctx)
    except ExportError as exc:
        if exc.path is None and ctx.out_path is not None:
            raise ExportError(ctx.out_path, exc.reason) from exc
        raise


def page_file_paths(path: PathLike, format_: ExportFormat, n_pages: int) -> list[Path]:
    """Where a one-file-per-page format writes: ``path`` itself for one page, else
    ``<stem>_p<n><suffix>`` with n zero-padded to the width of the page count."""
    p = Path(path)
    if n_pages <= 1:
        return [p]
    lower = p.name.lower()
    suffix = next((s for s in format_.suffixes if lower.endswith(s) and len(lower) > len(s)),
                  p.suffix)
    stem = p.name[: len(p.name) - len(suffix)] if suffix else p.name
    real_suffix = p.name[len(stem):]
    width = len(str(n_pages))
    return [p.with_name(f"{stem}_p{n:0{width}d}{real_suffix}") for n in range(1, n_pages + 1)]


def export_document(doc: Document, path: PathLike, fmt: str | None = None) -> list[Path]:
    """Export ``doc`` to ``path`` in ``fmt`` (or the format its suffix names).

    Returns the files written (several for PAGE XML of a multi-page document). Raises
    :class:`ExportError` naming the path: unknown format, nothing to export, unreadable
    page image, unwritable destination. Nothing is left half-written.
    """
    target = Path(path)
    format_ = _get(fmt, target) if fmt else _get(format_for_path(target), target)
    if format_.one_file_per_page and not doc.pages:
        raise ExportError(target, "the document has no pages")
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(target, f"the folder {str(folder)!r} does not exist")
    if target.is_dir():
        raise ExportError(target, "it is a folder, not a file")
    ctx = _context(target)
    blobs = _render(format_, doc, ctx)
    if format_.one_file_per_page:
        paths = page_file_paths(target, format_, len(blobs))
    else:
        paths = [target]
    try:
        atomic_write_many(list(zip(paths, blobs)))
    except OSError as exc:
        raise ExportError(target, describe_os_error(exc)) from exc
    return paths


def export_to_string(doc: Document, fmt: str) -> str:
    """The export as a string, for text formats (everything but pdf). PAGE XML works for a
    one-page document only (it is one file per page)."""
    format_ = _get(fmt)
    if format_.binary:
        raise ExportError(None, f"{format_.name} is a binary format; use export_document")
    if format_.one_file_per_page and len(doc.pages) != 1:
        raise ExportError(None, f"{format_.name} writes one file per page; this document has "
                                f"{len(doc.pages)} pages, use export_document")
    blobs = _render(format_, doc, _context(None))
    return blobs[0].decode("utf-8")
