"""Plain text: what the document says, in reading order.

* UTF-8 without a byte-order mark, ``\\n`` line ends on every system.
* One line per region, in reading order: the final text (the correction if any, else the
  machine reading). Line breaks and tabs inside a region become spaces, control characters
  are dropped. Regions with no text (not recognised yet, or corrected to nothing) give no
  line, so the file holds only what was read.
* Every page ends with ``\\n`` (when it has lines) and pages are separated by a form feed
  (``\\f``, the convention of ``pdftotext``): page 2 starts right after the first ``\\f``.
  A page without text is an empty stretch between two form feeds, so page numbers survive.
"""

from __future__ import annotations

from unitext_app.document import Document
from unitext_app.exporters._common import ExportContext, clean_text

NAME = "text"
DESCRIPTION = "Plain text"
SUFFIXES = (".txt",)
BINARY = False
PAGE_SEPARATOR = "\f"


def render_string(doc: Document) -> str:
    pages = []
    for page in doc.pages:
        lines = [clean_text(r.text) for r in page.regions]
        lines = [line for line in lines if line.strip()]
        pages.append("".join(line + "\n" for line in lines))
    return PAGE_SEPARATOR.join(pages)


def render(doc: Document, ctx: ExportContext) -> list[bytes]:
    return [render_string(doc).encode("utf-8")]
