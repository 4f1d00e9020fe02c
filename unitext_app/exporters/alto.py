"""ALTO v4 (schema 4.4), the whole document in one file.

::

    alto (SCHEMAVERSION 4.4)
      Description
        MeasurementUnit pixel
        sourceImageInformation/fileName   the first page's image
                 /fileIdentifier fileIdentifierLocation="Page ID"   each page's image
        Processing ID="ocr"  contentGeneration, software UniText <version>
        Processing ID="correction"  contentModification (only if a line was corrected)
      Layout
        Page ID="page<n>" PHYSICAL_IMG_NR="<n>" WIDTH HEIGHT        one per document page
          PrintSpace HPOS=0 VPOS=0 WIDTH HEIGHT
            TextBlock ID HPOS VPOS WIDTH HEIGHT                     all lines of the page
              TextLine ID HPOS VPOS WIDTH HEIGHT [CS="true" PROCESSINGREFS="correction"]
                Shape/Polygon POINTS="x1,y1 x2,y2 ..."               the region's corners
                String CONTENT WC [CC] HPOS VPOS WIDTH HEIGHT, SP, String, ...

* A TextLine per region, in reading order (element order is ALTO's implicit reading order).
* Words are the space-separated parts of the final text; ``SP`` between them. Word boxes
  are *estimates*: the line is divided along its text direction in proportion to character
  counts (the recogniser reads whole lines).
* ``WC`` is the mean of the word's character confidences (the line confidence when those
  are missing); ``CC`` gives one digit per character, 0 = sure .. 9 = unsure. A corrected
  line has ``CS="true"`` (ALTO's correction status), refers to the ``correction``
  processing step and its words get ``WC="1"`` (checked by a person) and no ``CC``.
* A region never recognised (or with empty text) is a TextLine with one empty String, so
  its location is kept (ALTO requires a String in each line).
* Coordinates are integers, clipped to the page.
* ``fileName`` holds the first page's image; since ALTO has no per-Page image name, every
  page's image is also listed as a ``fileIdentifier`` whose ``fileIdentifierLocation`` is
  the Page ID.
"""

from __future__ import annotations

from lxml import etree

from unitext_app.document import Document, TextRegion
from unitext_app.exporters._common import (ExportContext, ExportError, clean_text, clip_box,
                                           clip_points, conf_str, image_ref, union_box,
                                           word_boxes, word_confidence, xml_id)

NAME = "alto"
DESCRIPTION = "ALTO XML v4"
SUFFIXES = (".alto.xml", ".xml")
BINARY = False

NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"


def _el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS}}}{tag}", attrs)


def _box_attrs(box: tuple[int, int, int, int]) -> dict[str, str]:
    x0, y0, x1, y1 = box
    return {"HPOS": str(x0), "VPOS": str(y0), "WIDTH": str(x1 - x0), "HEIGHT": str(y1 - y0)}


def _cc(region: TextRegion, start: int, end: int) -> str | None:
    chars = region.char_confidences
    if not chars or region.machine_text is None or len(chars) != len(region.machine_text):
        return None
    digits = []
    for c in chars[start:end]:
        c = min(1.0, max(0.0, c)) if c == c else 0.0
        digits.append(str(round((1.0 - c) * 9)))
    return " ".join(digits)


def render(doc: Document, ctx: ExportContext) -> list[bytes]:
    if not doc.pages:
        raise ExportError(ctx.out_path, "the document has no pages (ALTO needs at least one)")
    root = etree.Element(f"{{{NS}}}alto", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    root.set("SCHEMAVERSION", "4.4")
    desc = _el(root, "Description")
    _el(desc, "MeasurementUnit").text = "pixel"
    if doc.pages:
        info = _el(desc, "sourceImageInformation")
        _el(info, "fileName").text = image_ref(doc.pages[0], ctx.out_path)
        for n, page in enumerate(doc.pages, 1):
            _el(info, "fileIdentifier",
                fileIdentifierLocation=f"page{n}").text = image_ref(page, ctx.out_path)
    ocr = _el(desc, "Processing", ID="ocr")
    _el(ocr, "processingCategory").text = "contentGeneration"
    _el(ocr, "processingDateTime").text = ctx.now.isoformat()
    _el(ocr, "processingStepDescription").text = "text recognition"
    soft = _el(ocr, "processingSoftware")
    _el(soft, "softwareName").text = ctx.generator
    if ctx.version != "unknown":
        _el(soft, "softwareVersion").text = ctx.version
    corrected_any = any(r.is_corrected for p in doc.pages for r in p.regions)
    if corrected_any:
        corr = _el(desc, "Processing", ID="correction")
        _el(corr, "processingCategory").text = "contentModification"
        _el(corr, "processingStepDescription").text = "manual correction"
        soft = _el(corr, "processingSoftware")
        _el(soft, "softwareName").text = ctx.generator
        if ctx.version != "unknown":
            _el(soft, "softwareVersion").text = ctx.version

    layout = _el(root, "Layout")
    used: set[str] = {"ocr", "correction"}
    for pn, page in enumerate(doc.pages, 1):
        pid = xml_id(f"page{pn}", "", used)
        pg = _el(layout, "Page", ID=pid, PHYSICAL_IMG_NR=str(pn), WIDTH=str(page.width),
                 HEIGHT=str(page.height))
        space = _el(pg, "PrintSpace", HPOS="0", VPOS="0", WIDTH=str(page.width),
                    HEIGHT=str(page.height))
        if not page.regions:
            continue
        boxes = [clip_box(r.bbox(), page) for r in page.regions]
        bx, by, bw, bh = union_box([(b[0], b[1], b[2] - b[0], b[3] - b[1]) for b in boxes])
        block = _el(space, "TextBlock", ID=xml_id(f"p{pn}_block", "", used),
                    **_box_attrs((int(bx), int(by), int(bx + bw), int(by + bh))))
        for ln, (r, box) in enumerate(zip(page.regions, boxes), 1):
            attrs = {"ID": xml_id(f"p{pn}_l{ln}_", r.id, used), **_box_attrs(box)}
            if r.is_corrected:
                attrs.update(CS="true", PROCESSINGREFS="correction")
            line = _el(block, "TextLine", **attrs)
            shape = _el(line, "Shape")
            _el(shape, "Polygon", POINTS=" ".join(
                f"{x},{y}" for x, y in clip_points(r.shape.corners(), page)))
            text = clean_text(r.text)
            parts = word_boxes(r, text)
            if not parts:
                _el(line, "String", CONTENT="")
                continue
            for wn, (word, start, end, wbox) in enumerate(parts):
                if wn:
                    _el(line, "SP")
                sattrs = {"CONTENT": word}
                if r.is_corrected:
                    sattrs["WC"] = "1"
                else:
                    wc = word_confidence(r, text, start, end)
                    if wc is not None:
                        sattrs["WC"] = conf_str(wc)
                    cc = _cc(r, start, end) if text == r.machine_text else None
                    if cc:
                        sattrs["CC"] = cc
                sattrs.update(_box_attrs(clip_box(wbox, page)))
                _el(line, "String", **sattrs)
    return [etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)]
