"""CSV: one row per region, for spreadsheets and scripts.

* UTF-8 **without** a byte-order mark (what scripts and most tools expect; in Excel use
  Data > From Text/CSV and pick UTF-8), comma-separated, fields quoted by Python's ``csv``
  module when needed (RFC 4180 style, ``\\r\\n`` row ends).
* A header row, then one row per region in reading order, pages in order. Columns:

  ``page`` (1-based), ``index`` (1-based reading order in the page), ``region_id``,
  ``image`` (relative to the CSV's folder when the image lies in it or below, else as the
  document holds it), ``frame``, ``kind`` (rect, rotated_rect, polygon), ``x``, ``y``,
  ``w``, ``h`` (axis-aligned bounding box in image pixels), ``points`` (the region's corners
  as ``x1,y1 x2,y2 ...``, PAGE-XML style), ``text`` (final text), ``machine_text``,
  ``corrected`` (``true``/``false``), ``confidence`` (0..1, empty when not recognised).

* Numbers use a ``.`` decimal point, at most 2 decimals for coordinates and 4 for the
  confidence. Control characters and line breaks inside text are removed / made spaces, so
  every record is one physical line. Text is written as read: a cell starting with ``=``
  stays as it is (spreadsheets may take it for a formula).
"""

from __future__ import annotations

import csv
import io

from unitext_app.document import Document
from unitext_app.exporters._common import (ExportContext, clean_text, conf_str, image_ref,
                                           line_confidence, num)

NAME = "csv"
DESCRIPTION = "CSV (one row per region)"
SUFFIXES = (".csv",)
BINARY = False

COLUMNS = ["page", "index", "region_id", "image", "frame", "kind", "x", "y", "w", "h",
           "points", "text", "machine_text", "corrected", "confidence"]


def render(doc: Document, ctx: ExportContext) -> list[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for pn, page in enumerate(doc.pages, 1):
        image = image_ref(page, ctx.out_path)
        for rn, r in enumerate(page.regions, 1):
            x, y, w, h = r.bbox()
            points = " ".join(f"{num(px)},{num(py)}" for px, py in r.shape.corners())
            writer.writerow([pn, rn, r.id, image, page.frame, r.shape.kind,
                             num(x), num(y), num(w), num(h), points, clean_text(r.text),
                             clean_text(r.machine_text), "true" if r.is_corrected else "false",
                             conf_str(line_confidence(r))])
    return [buf.getvalue().encode("utf-8")]
