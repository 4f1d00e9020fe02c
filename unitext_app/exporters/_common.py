"""Helpers shared by the exporters: text cleaning, region strips, word boxes, ids, numbers."""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.geometry import Point, PolygonRegion, Region, bounding_box
from unitext_app.document import Page, TextRegion


class ExportError(Exception):
    """An export could not be written; the message names the path and the reason."""

    def __init__(self, path: "os.PathLike[str] | str | None", reason: str) -> None:
        self.path = None if path is None else Path(path)
        self.reason = reason
        where = f" to {str(self.path)!r}" if self.path is not None else ""
        super().__init__(f"cannot export{where}: {reason}")


@dataclass
class ExportContext:
    """What a renderer needs besides the document."""

    out_path: Path | None = None  # None for export_to_string
    generator: str = "UniText"
    version: str = "unknown"
    now: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(
        _dt.timezone.utc).astimezone().replace(microsecond=0))

    @property
    def software(self) -> str:
        return f"{self.generator} {self.version}" if self.version != "unknown" else self.generator


def app_version() -> str:
    try:
        from unitext_app import __version__  # type: ignore[attr-defined]
        return str(__version__)
    except ImportError:
        pass
    try:
        from importlib.metadata import version
        return version("unitext")
    except Exception:
        return "unknown"


# ---------------------------------------------------------------------------------------------
# text

# XML 1.0 allows #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF; C1 controls and
# noncharacters are legal but useless, and none of this belongs in OCR text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029\x85]")


def clean_text(text: str | None) -> str:
    """One line of text fit for any output: control characters removed, tabs and line
    breaks turned into spaces. None becomes ''."""
    if not text:
        return ""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", text))


def clean_optional(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


def words(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) character spans of the space-separated words of ``text``."""
    return [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def word_confidence(region: TextRegion, text: str, start: int, end: int) -> float | None:
    """Mean of the per-character confidences of ``text[start:end]`` when ``text`` is the
    machine reading itself (so indices match), else the line confidence."""
    chars = region.char_confidences
    if (chars and text == region.machine_text and len(chars) == len(text)):
        part = [c for c in chars[start:end] if math.isfinite(c)]
        if part:
            return clamp01(sum(part) / len(part))
    return line_confidence(region)


def line_confidence(region: TextRegion) -> float | None:
    if region.confidence is None or not math.isfinite(region.confidence):
        return None
    return clamp01(region.confidence)


def clamp01(v: float) -> float:
    return min(1.0, max(0.0, float(v)))


# ---------------------------------------------------------------------------------------------
# numbers and ids


def num(v: float, digits: int = 2) -> str:
    """Compact decimal: 12.0 -> '12', 12.345 -> '12.35'."""
    if v is None or not math.isfinite(v):
        return ""
    text = f"{round(float(v), digits):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def conf_str(v: float | None) -> str:
    return "" if v is None else num(v, 4)


_NCNAME_BAD = re.compile(r"[^A-Za-z0-9_.-]")


def xml_id(prefix: str, raw: str, used: set[str]) -> str:
    """A valid, unique XML ID (NCName) built from ``prefix`` and ``raw``."""
    base = prefix + _NCNAME_BAD.sub("_", raw or "")
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}_{n}"
    used.add(candidate)
    return candidate


# ---------------------------------------------------------------------------------------------
# geometry


def strip_edges(shape: Region) -> tuple[list[Point], list[Point]]:
    """Top and bottom edges of a region, both left to right along the text.

    Rectangles and rotated rectangles: their corners. Polygons with an even number of points
    (>= 4) follow the documented convention (top edge left-to-right, then bottom edge
    right-to-left); any other polygon is read through its axis-aligned bounding box.
    """
    if isinstance(shape, PolygonRegion):
        pts = list(shape.points)
        if len(pts) >= 4 and len(pts) % 2 == 0:
            half = len(pts) // 2
            return pts[:half], pts[half:][::-1]
        x, y, w, h = bounding_box(shape)
        return [(x, y), (x + w, y)], [(x, y + h), (x + w, y + h)]
    tl, tr, br, bl = shape.corners()
    return [tl, tr], [bl, br]


def _point_at(line: list[Point], t: float) -> Point:
    """The point at fraction ``t`` of the length of a polyline."""
    if len(line) == 1:
        return line[0]
    seg = [math.dist(a, b) for a, b in zip(line, line[1:])]
    total = sum(seg)
    if total <= 0:
        return line[0]
    target = min(max(t, 0.0), 1.0) * total
    for (a, b), length in zip(zip(line, line[1:]), seg):
        if target <= length and length > 0:
            f = target / length
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        target -= length
    return line[-1]


def _sub_line(line: list[Point], t0: float, t1: float) -> list[Point]:
    """The part of a polyline between fractions t0 and t1 (with the vertices in between)."""
    seg = [math.dist(a, b) for a, b in zip(line, line[1:])]
    total = sum(seg) or 1.0
    out = [_point_at(line, t0)]
    run = 0.0
    for length, b in zip(seg, line[1:]):
        run += length
        if t0 * total < run < t1 * total:
            out.append(b)
    out.append(_point_at(line, t1))
    return out


def span_polygon(shape: Region, t0: float, t1: float) -> list[Point]:
    """Outline of the part of a region between fractions t0..t1 along its text direction."""
    top, bottom = strip_edges(shape)
    return _sub_line(top, t0, t1) + _sub_line(bottom, t0, t1)[::-1]


Box = tuple[float, float, float, float]


def word_boxes(region: TextRegion, text: str) -> list[tuple[str, int, int, Box]]:
    """Words of ``text`` with an *estimated* box each (x, y, w, h).

    The recogniser reads whole lines, so word positions are not known: the line is divided
    along its text direction in proportion to character counts.
    """
    n = max(len(text), 1)
    out = []
    for word, start, end in words(text):
        pts = span_polygon(region.shape, start / n, end / n)
        out.append((word, start, end, points_bbox(pts)))
    return out


def points_bbox(points: list[Point]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def clip_points(points: list[Point], page: Page) -> list[tuple[int, int]]:
    """Integer points inside the page (0..width, 0..height): PAGE forbids negatives."""
    return [(min(max(int(round(x)), 0), page.width), min(max(int(round(y)), 0), page.height))
            for x, y in points]


def clip_box(box: tuple[float, float, float, float], page: Page) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) integers inside the page."""
    x, y, w, h = box
    (x0, y0), (x1, y1) = clip_points([(x, y), (x + w, y + h)], page)
    return x0, y0, x1, y1


def union_box(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def image_ref(page: Page, out_path: Path | None) -> str:
    """How an export names a page's image: relative to the export's folder (with '/') when
    the image lies in that folder or below it, else the path as the document holds it."""
    if not page.image_path:
        return ""
    if out_path is None:
        return page.image_path
    image = Path(os.path.abspath(page.image_path))
    folder = Path(os.path.abspath(out_path)).parent
    try:
        return image.relative_to(folder).as_posix()
    except ValueError:
        return str(image)
