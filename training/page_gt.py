"""Read text lines (id, bounding box, text) from ground-truth PAGE (any version) or ALTO XML."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

BBox = tuple[float, float, float, float]


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _points_bbox(points: str) -> BBox | None:
    values = [float(v) for v in points.replace(",", " ").split()]
    xs, ys = values[0::2], values[1::2]
    if not xs or len(xs) != len(ys):
        return None
    return min(xs), min(ys), max(xs), max(ys)


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _local(c.tag) == name]


def read_ground_truth_lines(path: Path) -> Iterator[tuple[str, BBox, str]]:
    tree = etree.parse(str(path))
    root = tree.getroot()
    kind = _local(root.tag)
    for n, el in enumerate(root.iter()):
        if _local(el.tag) != "TextLine":
            continue
        line_id = el.get("id") or el.get("ID") or f"line{n}"
        if kind == "PcGts":
            coords = _children(el, "Coords")
            bbox = _points_bbox(coords[0].get("points", "")) if coords else None
            text = ""
            for eq in _children(el, "TextEquiv"):
                uni = _children(eq, "Unicode")
                if uni and uni[0].text:
                    text = uni[0].text
                    break
        else:  # ALTO
            bbox = None
            for shape in _children(el, "Shape"):
                poly = _children(shape, "Polygon")
                if poly:
                    bbox = _points_bbox(poly[0].get("POINTS", ""))
            if bbox is None and el.get("HPOS") is not None:
                x, y = float(el.get("HPOS")), float(el.get("VPOS"))
                bbox = (x, y, x + float(el.get("WIDTH")), y + float(el.get("HEIGHT")))
            text = " ".join(s.get("CONTENT", "") for s in el.iter() if _local(s.tag) == "String")
        if bbox is not None:
            yield line_id, bbox, text.strip()
