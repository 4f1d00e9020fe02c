"""The bundled sample documents, with their regions already drawn (boxes and ALTO lines),
for the first run and for end-to-end tests."""

from __future__ import annotations

from pathlib import Path

from engine.geometry import RectRegion
from engine.resources import resources_dir

from .document import Document, Page, TextRegion

SCENE_SAMPLE = "pub_the_pond.jpg"
HANDWRITING_SAMPLE = "poilus_will_page.jpg"


def samples_dir() -> Path:
    return resources_dir() / "samples"


def _image_size(path: Path) -> tuple[int, int]:
    from engine.imageio import image_size
    return image_size(path)


def boxes_page(image: Path) -> Page:
    """A page whose regions come from ``<image stem>.boxes.tsv`` (x,y,w,h<TAB>text)."""
    width, height = _image_size(image)
    page = Page(image_path=str(image), width=width, height=height)
    boxes = image.with_suffix(".boxes.tsv")
    for line in boxes.read_text(encoding="utf-8").splitlines():
        if line.strip():
            x, y, w, h = (float(v) for v in line.split("\t", 1)[0].split(","))
            page.regions.append(TextRegion(shape=RectRegion(x, y, w, h)))
    return page


def alto_lines_page(image: Path, alto: Path) -> Page:
    """A page whose regions are the ALTO file's line polygons (reading order kept)."""
    from lxml import etree

    width, height = _image_size(image)
    page = Page(image_path=str(image), width=width, height=height)
    root = etree.parse(str(alto)).getroot()
    for el in root.iter():
        if etree.QName(el).localname != "TextLine":
            continue
        for poly in el.iter():
            if etree.QName(poly).localname == "Polygon":
                v = [float(t) for t in poly.get("POINTS", "").replace(",", " ").split()]
                xs, ys = v[0::2], v[1::2]
                # Line polygons are ragged outlines: read their bounding box, as archives do.
                page.regions.append(TextRegion(shape=RectRegion(
                    min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))))
                break
    return page


def sample_document() -> Document:
    """The photo with signs and the handwritten page, regions drawn, nothing read yet."""
    folder = samples_dir()
    doc = Document(metadata={"title": "UniText samples"})
    doc.pages.append(boxes_page(folder / SCENE_SAMPLE))
    doc.pages.append(alto_lines_page(folder / HANDWRITING_SAMPLE, folder / "poilus_will_page.alto.xml"))
    return doc

