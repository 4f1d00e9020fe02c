"""PAGE XML 2019-07-15 (PRImA), one file per page.

A PAGE document describes exactly one page image, so a multi-page UniText document gives one
file per page: ``name_p1.page.xml``, ``name_p2.page.xml``, ... (numbers zero-padded to the
width of the page count, e.g. ``_p01`` .. ``_p12``); a one-page document gives exactly the
file asked for. The files validate against the official ``pagecontent.xsd``.

Per page::

    PcGts
      Metadata: Creator ("UniText <version>"), Created, LastChange (export time)
      Page imageFilename imageWidth imageHeight
        ReadingOrder/OrderedGroup/RegionRefIndexed -> the text region   (if any region)
        TextRegion id="r1"  Coords = bounding box of all lines
          TextLine id="l<n>_<region id>" custom="readingOrder {index:n;}"  (reading order)
            Coords points = the region's corners (rounded, clipped to the image:
                            PAGE forbids negative coordinates)
            TextEquiv ...
          TextEquiv/Unicode = the lines' final texts joined with newlines

UniText regions are lines, so all of a page's regions are TextLines of one TextRegion, in
reading order. There is no Baseline (the recogniser does not locate one; PAGE makes it
optional).

TextEquiv of a line:

* machine reading only: one ``TextEquiv conf="<line confidence>"``;
* corrected by a person: ``TextEquiv index="1" conf="1" comments="corrected"`` holding the
  correction (the lowest index is the main text in PAGE) and ``TextEquiv index="2"
  conf="<machine confidence>" comments="machine reading"`` holding what the model read;
* never recognised: no TextEquiv (the line is only a location).

``imageFilename`` is relative to the XML file's folder when the image lies in it or below
(typical of archives: the XML next to the image), else the document's path.
"""

from __future__ import annotations

from lxml import etree

from unitext_app.document import Document, Page
from unitext_app.exporters._common import (ExportContext, clean_text, clip_points, conf_str,
                                           image_ref, line_confidence, points_bbox, union_box,
                                           xml_id)

NAME = "page"
DESCRIPTION = "PAGE XML 2019"
SUFFIXES = (".page.xml", ".xml")
BINARY = False
ONE_FILE_PER_PAGE = True

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} {NS}/pagecontent.xsd"


def _el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS}}}{tag}", {k: v for k, v in attrs.items()})


def _points(points: list[tuple[int, int]]) -> str:
    if len(points) == 1:
        points = points * 2
    return " ".join(f"{x},{y}" for x, y in points)


def _text_equiv(parent: etree._Element, text: str, conf: float | None, index: int | None = None,
                comments: str | None = None) -> None:
    attrs = {}
    if index is not None:
        attrs["index"] = str(index)
    if conf is not None:
        attrs["conf"] = conf_str(conf)
    if comments:
        attrs["comments"] = comments
    te = _el(parent, "TextEquiv", **attrs)
    _el(te, "Unicode").text = text


def render_page(doc: Document, page: Page, ctx: ExportContext) -> bytes:
    root = etree.Element(f"{{{NS}}}PcGts", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    meta = _el(root, "Metadata")
    _el(meta, "Creator").text = ctx.software
    _el(meta, "Created").text = ctx.now.isoformat()
    _el(meta, "LastChange").text = ctx.now.isoformat()
    attrs = {"imageFilename": image_ref(page, ctx.out_path), "imageWidth": str(page.width),
             "imageHeight": str(page.height)}
    if page.frame:
        attrs["custom"] = f"frame {{index:{page.frame};}}"
    pg = _el(root, "Page", **attrs)
    if page.regions:
        used: set[str] = {"r1", "ro1"}
        ro = _el(pg, "ReadingOrder")
        group = _el(ro, "OrderedGroup", id="ro1", caption="Regions reading order")
        _el(group, "RegionRefIndexed", index="0", regionRef="r1")
        boxes = [points_bbox(clip_points(r.shape.corners(), page)) for r in page.regions]
        x, y, w, h = union_box(boxes)
        region = _el(pg, "TextRegion", id="r1", custom="readingOrder {index:0;}")
        _el(region, "Coords", points=_points(
            clip_points([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], page)))
        for n, r in enumerate(page.regions):
            line = _el(region, "TextLine", id=xml_id(f"l{n + 1}_", r.id, used),
                       custom=f"readingOrder {{index:{n};}}")
            _el(line, "Coords", points=_points(clip_points(r.shape.corners(), page)))
            if r.is_corrected:
                _text_equiv(line, clean_text(r.corrected_text), 1.0, 1, "corrected")
                if r.machine_text is not None:
                    _text_equiv(line, clean_text(r.machine_text), line_confidence(r), 2,
                                "machine reading")
            elif r.is_recognised or r.corrected_text is not None:
                _text_equiv(line, clean_text(r.text), line_confidence(r))
        texts = [clean_text(r.text) for r in page.regions]
        if any(texts):
            _text_equiv(region, "\n".join(texts), None)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render(doc: Document, ctx: ExportContext) -> list[bytes]:
    return [render_page(doc, page, ctx) for page in doc.pages]
