"""hOCR 1.2 (XHTML 1.0 Transitional), the whole document in one file.

::

    html/head: title, meta ocr-system "UniText <version>",
               meta ocr-capabilities "ocr_page ocr_carea ocr_par ocr_line ocrx_word"
    body
      div.ocr_page   id page_<n>  title 'image "<image>"; bbox 0 0 W H; ppageno <n-1>'
        div.ocr_carea / p.ocr_par   bbox of all lines of the page
          span.ocr_line    bbox; textangle (rotated lines); x_corrected (corrected)
            span.ocrx_word bbox; x_wconf

Same structure as Tesseract's hOCR (page > carea > par > line > word), so hocr-tools and
OCRmyPDF-style consumers read it. ``ppageno`` is 0-based like Tesseract's. One ocr_line per
region, in reading order; regions without text are left out (hOCR lines are text).

* Words are the space-separated parts of the final text; word boxes are *estimates*
  (the line divided along its text direction in proportion to character counts).
* ``x_wconf`` is 0..100: the mean of the word's character confidences (the line's when
  those are missing). Corrected lines carry ``x_wconf 100`` on their words (checked by a
  person) and the engine-specific line property ``x_corrected 1``.
* ``textangle`` is the counter-clockwise angle of a rotated line, per the hOCR spec.
* ``image`` is relative to the hOCR file's folder when the image lies in it or below.
"""

from __future__ import annotations


from lxml import etree

from engine.geometry import RotatedRectRegion
from unitext_app.document import Document
from unitext_app.exporters._common import (ExportContext, clean_text, clip_box, image_ref,
                                           union_box, word_boxes,
                                           word_confidence)

NAME = "hocr"
DESCRIPTION = "hOCR (XHTML)"
SUFFIXES = (".hocr", ".html", ".xhtml")
BINARY = False

XHTML = "http://www.w3.org/1999/xhtml"
DOCTYPE = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
           '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">')
CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word"


def _el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{XHTML}}}{tag}", attrs)


def _bbox(box: tuple[int, int, int, int]) -> str:
    return "bbox {} {} {} {}".format(*box)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wconf(v: float | None) -> str:
    return "" if v is None else f"; x_wconf {int(round(v * 100))}"


def render(doc: Document, ctx: ExportContext) -> list[bytes]:
    html = etree.Element(f"{{{XHTML}}}html", nsmap={None: XHTML})
    html.set("{http://www.w3.org/XML/1998/namespace}lang", "und")
    html.set("lang", "und")
    head = _el(html, "head")
    _el(head, "title").text = "UniText OCR"
    _el(head, "meta", **{"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    _el(head, "meta", name="ocr-system", content=ctx.software)
    _el(head, "meta", name="ocr-capabilities", content=CAPABILITIES)
    _el(head, "meta", name="ocr-number-of-pages", content=str(len(doc.pages)))
    body = _el(html, "body")
    for pn, page in enumerate(doc.pages, 1):
        title = (f"image {_quote(image_ref(page, ctx.out_path))}; "
                 f"bbox 0 0 {page.width} {page.height}; ppageno {pn - 1}")
        div = _el(body, "div", **{"class": "ocr_page", "id": f"page_{pn}", "title": title})
        lines = [r for r in page.regions if clean_text(r.text).strip()]
        if not lines:
            continue
        boxes = [clip_box(r.bbox(), page) for r in lines]
        ux, uy, uw, uh = union_box([(b[0], b[1], b[2] - b[0], b[3] - b[1]) for b in boxes])
        area_box = _bbox((int(ux), int(uy), int(ux + uw), int(uy + uh)))
        carea = _el(div, "div", **{"class": "ocr_carea", "id": f"block_{pn}_1",
                                   "title": area_box})
        par = _el(carea, "p", **{"class": "ocr_par", "id": f"par_{pn}_1", "title": area_box})
        word_no = 0
        for ln, (r, box) in enumerate(zip(lines, boxes), 1):
            text = clean_text(r.text)
            title = _bbox(box)
            if isinstance(r.shape, RotatedRectRegion) and r.shape.angle % 360:
                title += f"; textangle {(-r.shape.angle) % 360:g}"
            if r.is_corrected:
                title += "; x_corrected 1"
            line = _el(par, "span", **{"class": "ocr_line", "id": f"line_{pn}_{ln}",
                                       "title": title})
            for wn, (word, start, end, wbox) in enumerate(word_boxes(r, text)):
                word_no += 1
                conf = 1.0 if r.is_corrected else word_confidence(r, text, start, end)
                span = _el(line, "span", **{"class": "ocrx_word", "id": f"word_{pn}_{word_no}",
                                            "title": _bbox(clip_box(wbox, page)) + _wconf(conf)})
                span.text = word
                span.tail = " "
            if len(line):
                line[-1].tail = None
            line.tail = "\n"
    body_xml = etree.tostring(html, encoding="UTF-8", xml_declaration=True, pretty_print=True,
                              doctype=DOCTYPE)
    return [body_xml]
