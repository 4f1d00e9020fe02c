"""JSON: everything an export can say about the document, for scripts.

UTF-8, no byte-order mark, indented, non-ASCII written as is. Layout::

    {"format": "unitext-export", "version": 1, "generator": "UniText 0.1.0",
     "created": "2025-01-31T10:00:00+01:00",
     "pages": [{"index": 1, "id": "...", "image": "scan.png", "frame": 0,
                "width": 1200, "height": 800,
                "regions": [{"index": 1, "id": "...", "kind": "rect",
                             "shape": {"kind": "rect", "x": 10, "y": 20, "w": 300, "h": 40},
                             "bbox": {"x": 10, "y": 20, "w": 300, "h": 40},
                             "polygon": [[10, 20], [310, 20], [310, 60], [10, 60]],
                             "text": "final text", "machine_text": "machine reading",
                             "corrected_text": null, "is_corrected": false,
                             "is_recognised": true, "confidence": 0.93,
                             "char_confidences": [0.99, ...], "model": "..."}]}]}

``index`` is 1-based reading order. ``shape`` is the region's geometry as the project file
stores it; ``polygon`` its corners (for a rotated rectangle: top-left, top-right,
bottom-right, bottom-left along the text); ``bbox`` the axis-aligned box around it.
``machine_text``/``corrected_text`` are null when absent; ``text`` is never null. Control
characters are removed from all text; non-finite numbers become null. ``image`` is relative
to the export file's folder when the image lies in it or below, else the document's path.
"""

from __future__ import annotations

import json
import math
from typing import Any

from unitext_app.document import Document
from unitext_app.exporters._common import ExportContext, clean_optional, clean_text, image_ref

NAME = "json"
DESCRIPTION = "JSON"
SUFFIXES = (".json",)
BINARY = False


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def to_dict(doc: Document, ctx: ExportContext) -> dict[str, Any]:
    pages = []
    for pn, page in enumerate(doc.pages, 1):
        regions = []
        for rn, r in enumerate(page.regions, 1):
            x, y, w, h = r.bbox()
            regions.append({
                "index": rn,
                "id": r.id,
                "kind": r.shape.kind,
                "shape": r.shape.to_dict(),
                "bbox": {"x": x, "y": y, "w": w, "h": h},
                "polygon": [[px, py] for px, py in r.shape.corners()],
                "text": clean_text(r.text),
                "machine_text": clean_optional(r.machine_text),
                "corrected_text": clean_optional(r.corrected_text),
                "is_corrected": r.is_corrected,
                "is_recognised": r.is_recognised,
                "confidence": _finite(r.confidence),
                "char_confidences": [_finite(c) for c in r.char_confidences],
                "model": r.model,
            })
        pages.append({"index": pn, "id": page.id, "image": image_ref(page, ctx.out_path),
                      "frame": page.frame, "width": page.width, "height": page.height,
                      "regions": regions})
    return {"format": "unitext-export", "version": 1, "generator": ctx.software,
            "created": ctx.now.isoformat(), "pages": pages}


def render(doc: Document, ctx: ExportContext) -> list[bytes]:
    text = json.dumps(to_dict(doc, ctx), ensure_ascii=False, indent=2, allow_nan=False)
    return [(text + "\n").encode("utf-8")]
