"""Exporters: text, JSON, CSV, PAGE XML (XSD), ALTO (XSD), hOCR, searchable PDF."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from engine.geometry import PolygonRegion, RectRegion, RotatedRectRegion
from tests.conftest import shared_path
from tests.support.xml_schemas import assert_valid, load_schema
from unitext_app.document import Document, Page, TextRegion
from unitext_app.exporters import (EXPORTERS, ExportError, available_formats, export_document,
                                   export_to_string, format_for_path)
from unitext_app.exporters._common import clean_text

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
XHTML = "http://www.w3.org/1999/xhtml"



def _conf(text: str, base: float) -> list[float]:
    return [round(base - 0.01 * (i % 5), 3) for i in range(len(text))]


def make_document(tmp_path: Path) -> Document:
    """Two pages: all three region kinds, accents, a correction, an unrecognised region, a
    control character and XML specials; page images made with Pillow."""
    img1 = tmp_path / "images" / "page one.png"
    img1.parent.mkdir()
    Image.new("RGB", (400, 300), "white").save(img1, dpi=(200, 200))
    img2 = tmp_path / "images" / "page2.jpg"
    Image.new("RGB", (300, 500), (230, 230, 220)).save(img2, quality=80)

    r1 = TextRegion(RectRegion(20, 20, 300, 40), machine_text="L’ete « chaud » a Paris",
                    confidence=0.71, char_confidences=_conf("L’ete « chaud » a Paris", 0.8),
                    corrected_text="L’été « chaud » à Paris", model="unitext-small")
    r2 = TextRegion(RotatedRectRegion(200, 120, 200, 40, 12.0), machine_text="Café crème",
                    confidence=0.93, char_confidences=_conf("Café crème", 0.97))
    r3 = TextRegion(PolygonRegion(((30, 180), (120, 170), (210, 180), (210, 215), (120, 205),
                                   (30, 215))),
                    machine_text="x < y & z > \"w\"\x07", confidence=0.88)
    r4 = TextRegion(RectRegion(300, 250, 80, 30))  # never recognised
    r5 = TextRegion(RectRegion(20, 250, 250, 30), machine_text="Deuxième ligne",
                    confidence=0.9, char_confidences=_conf("Deuxième ligne", 0.95))
    page1 = Page(str(img1), 400, 300, regions=[r1, r2, r3, r4, r5])
    r6 = TextRegion(RectRegion(10, 30, 250, 50), machine_text="Second page «texte»",
                    confidence=0.8, char_confidences=_conf("Second page «texte»", 0.85))
    r7 = TextRegion(RotatedRectRegion(150, 300, 300, 40, 90.0), machine_text="Vertical façade",
                    confidence=0.6)
    page2 = Page(str(img2), 300, 500, regions=[r6, r7])
    return Document(pages=[page1, page2], metadata={"title": "test"})


def page_texts(page: Page) -> list[str]:
    return [clean_text(r.text) for r in page.regions if clean_text(r.text)]


@pytest.fixture
def doc(tmp_path: Path) -> Document:
    return make_document(tmp_path)


# ---------------------------------------------------------------------------------------------
# schemas


def _schema(*parts: str) -> etree.XMLSchema:
    return load_schema(*parts)


_assert_valid = assert_valid


# ---------------------------------------------------------------------------------------------
# registry


def test_registry_and_suffixes() -> None:
    assert available_formats() == ["text", "json", "csv", "page", "alto", "hocr", "pdf"]
    for name in available_formats():
        assert EXPORTERS[name].name == name
        assert EXPORTERS[name].suffix.startswith(".")
    assert format_for_path("a/b.TXT") == "text"
    assert format_for_path("b.page.xml") == "page"
    assert format_for_path("b.alto.xml") == "alto"
    assert format_for_path("b.hocr") == "hocr"
    assert format_for_path("b.pdf") == "pdf"
    with pytest.raises(ExportError, match="ambiguous"):
        format_for_path("b.xml")
    with pytest.raises(ExportError, match="unknown"):
        format_for_path("b.docx")
    assert "*.alto.xml" in EXPORTERS["alto"].file_filter()


def test_unwritable_paths(doc: Document, tmp_path: Path) -> None:
    missing = tmp_path / "no such folder" / "out.txt"
    with pytest.raises(ExportError) as err:
        export_document(doc, missing)
    assert str(missing) in str(err.value) and "does not exist" in str(err.value)
    folder = tmp_path / "a folder.txt"
    folder.mkdir()
    with pytest.raises(ExportError, match="folder") as err:
        export_document(doc, folder)
    assert str(folder) in str(err.value)
    with pytest.raises(ExportError, match="unknown export format"):
        export_document(doc, tmp_path / "x.txt", fmt="docx")


def test_failed_write_leaves_old_file(doc: Document, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old content")

    def boom(src, dst):  # noqa: ANN001
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(ExportError, match="no space left") as err:
        export_document(doc, out)
    assert str(out) in str(err.value)
    assert out.read_text() == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "out.txt"]


def test_empty_documents(tmp_path: Path) -> None:
    empty = Document()
    assert export_to_string(empty, "text") == ""
    assert json.loads(export_to_string(empty, "json"))["pages"] == []
    assert export_to_string(empty, "csv").splitlines()[0].startswith("page,index")
    etree.fromstring(export_to_string(empty, "hocr").encode())
    for fmt, name in (("page", "e.page.xml"), ("alto", "e.alto.xml"), ("pdf", "e.pdf")):
        with pytest.raises(ExportError, match="no pages"):
            export_document(empty, tmp_path / name)
        assert not (tmp_path / name).exists()
    blank = tmp_path / "blank.png"
    Image.new("RGB", (50, 40), "white").save(blank)
    one_empty_page = Document(pages=[Page(str(blank), 50, 40)])
    for fmt in available_formats():
        written = export_document(one_empty_page, tmp_path / f"one{EXPORTERS[fmt].suffix}")
        assert len(written) == 1 and written[0].exists()
        assert written[0].stat().st_size > 0 or fmt == "text"
    assert export_to_string(one_empty_page, "text") == ""


# ---------------------------------------------------------------------------------------------
# text, json, csv


def test_text(doc: Document, tmp_path: Path) -> None:
    out = tmp_path / "doc.txt"
    assert export_document(doc, out) == [out]
    content = out.read_bytes().decode("utf-8")
    assert not content.startswith("\ufeff")
    pages = content.split("\f")
    assert len(pages) == 2
    assert pages[0].splitlines() == ["L’été « chaud » à Paris", "Café crème",
                                     'x < y & z > "w"', "Deuxième ligne"]
    assert pages[1].splitlines() == ["Second page «texte»", "Vertical façade"]
    assert "\x07" not in content
    assert export_to_string(doc, "text") == content


def test_json(doc: Document, tmp_path: Path) -> None:
    out = tmp_path / "doc.json"
    export_document(doc, out)
    data = json.loads(out.read_text("utf-8"))
    assert data["format"] == "unitext-export"
    assert [p["image"] for p in data["pages"]] == ["images/page one.png", "images/page2.jpg"]
    regions = data["pages"][0]["regions"]
    assert [r["kind"] for r in regions] == ["rect", "rotated_rect", "polygon", "rect", "rect"]
    r1 = regions[0]
    assert r1["text"] == "L’été « chaud » à Paris"
    assert r1["machine_text"] == "L’ete « chaud » a Paris"
    assert r1["corrected_text"] == r1["text"] and r1["is_corrected"] is True
    assert r1["confidence"] == pytest.approx(0.71)
    assert len(r1["char_confidences"]) == len(r1["machine_text"])
    assert r1["bbox"] == {"x": 20, "y": 20, "w": 300, "h": 40}
    assert r1["shape"] == {"kind": "rect", "x": 20, "y": 20, "w": 300, "h": 40}
    assert regions[1]["shape"]["angle"] == 12.0 and len(regions[1]["polygon"]) == 4
    assert regions[2]["text"] == 'x < y & z > "w"' and len(regions[2]["polygon"]) == 6
    unrec = regions[3]
    assert unrec["text"] == "" and unrec["machine_text"] is None
    assert unrec["is_recognised"] is False and unrec["confidence"] is None
    assert [r["index"] for r in regions] == [1, 2, 3, 4, 5]


def test_csv(doc: Document, tmp_path: Path) -> None:
    out = tmp_path / "doc.csv"
    export_document(doc, out)
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert len(rows) == 7
    assert [(r["page"], r["index"]) for r in rows][:2] == [("1", "1"), ("1", "2")]
    assert rows[0]["text"] == "L’été « chaud » à Paris"
    assert rows[0]["machine_text"] == "L’ete « chaud » a Paris"
    assert rows[0]["corrected"] == "true" and rows[1]["corrected"] == "false"
    assert (rows[0]["x"], rows[0]["y"], rows[0]["w"], rows[0]["h"]) == ("20", "20", "300", "40")
    assert rows[0]["points"] == "20,20 320,20 320,60 20,60"
    assert rows[0]["kind"] == "rect" and rows[1]["kind"] == "rotated_rect"
    assert rows[2]["kind"] == "polygon" and rows[2]["text"] == 'x < y & z > "w"'
    assert rows[3]["text"] == "" and rows[3]["confidence"] == ""
    assert float(rows[1]["confidence"]) == pytest.approx(0.93)
    assert rows[0]["image"] == "images/page one.png" and rows[5]["page"] == "2"


# ---------------------------------------------------------------------------------------------
# PAGE and ALTO


def test_page_xml_valid_and_content(doc: Document, tmp_path: Path) -> None:
    schema = _schema("page-2019-07-15", "pagecontent.xsd")
    written = export_document(doc, tmp_path / "doc.page.xml")
    assert [p.name for p in written] == ["doc_p1.page.xml", "doc_p2.page.xml"]
    ns = {"pc": PAGE_NS}
    for path, page in zip(written, doc.pages):
        tree = _assert_valid(schema, path)
        pg = tree.find("pc:Page", ns)
        assert pg.get("imageFilename") == Path(page.image_path).relative_to(tmp_path).as_posix()
        assert (pg.get("imageWidth"), pg.get("imageHeight")) == (str(page.width), str(page.height))
        assert tree.findtext("pc:Metadata/pc:Creator", namespaces=ns).startswith("UniText")
        assert tree.find("pc:Page/pc:ReadingOrder/pc:OrderedGroup/pc:RegionRefIndexed", ns) \
            .get("regionRef") == "r1"
        lines = tree.findall("pc:Page/pc:TextRegion/pc:TextLine", ns)
        assert len(lines) == len(page.regions)
        firsts = []
        for line in lines:
            te = line.find("pc:TextEquiv", ns)
            firsts.append("" if te is None else te.findtext("pc:Unicode", namespaces=ns))
        assert [t for t in firsts if t] == page_texts(page)
    tree = etree.parse(str(written[0]))
    lines = tree.findall("pc:Page/pc:TextRegion/pc:TextLine", ns)
    corrected = lines[0].findall("pc:TextEquiv", ns)
    assert [(t.get("index"), t.get("comments")) for t in corrected] == [("1", "corrected"),
                                                                        ("2", "machine reading")]
    assert corrected[1].findtext("pc:Unicode", namespaces=ns) == "L’ete « chaud » a Paris"
    assert corrected[1].get("conf") == "0.71"
    assert lines[1].find("pc:TextEquiv", ns).get("conf") == "0.93"
    assert lines[3].find("pc:TextEquiv", ns) is None  # never recognised
    assert lines[0].find("pc:Coords", ns).get("points") == "20,20 320,20 320,60 20,60"
    assert len(lines[2].find("pc:Coords", ns).get("points").split()) == 6
    # the raw XML escapes the specials and lost the control character
    raw = written[0].read_text("utf-8")
    assert "x &lt; y &amp; z &gt;" in raw and "\x07" not in raw


def test_page_xml_single_page_and_clipping(tmp_path: Path) -> None:
    schema = _schema("page-2019-07-15", "pagecontent.xsd")
    img = tmp_path / "p.png"
    Image.new("RGB", (100, 60), "white").save(img)
    region = TextRegion(RotatedRectRegion(5, 5, 60, 20, -30), machine_text="bord", confidence=1.2)
    doc = Document(pages=[Page(str(img), 100, 60, regions=[region])])
    out = tmp_path / "single.xml"
    assert export_document(doc, out, fmt="page") == [out]
    _assert_valid(schema, out)
    assert "<Unicode>bord</Unicode>" in export_to_string(doc, "page")


def test_alto_valid_and_content(doc: Document, tmp_path: Path) -> None:
    schema = _schema("alto-v4", "alto-4-4.xsd")
    out = tmp_path / "doc.alto.xml"
    assert export_document(doc, out) == [out]
    tree = _assert_valid(schema, out)
    ns = {"a": ALTO_NS}
    assert tree.findtext("a:Description/a:MeasurementUnit", namespaces=ns) == "pixel"
    assert tree.findtext("a:Description/a:sourceImageInformation/a:fileName",
                         namespaces=ns) == "images/page one.png"
    pages = tree.findall("a:Layout/a:Page", ns)
    assert len(pages) == 2
    for pg, page in zip(pages, doc.pages):
        assert (pg.get("WIDTH"), pg.get("HEIGHT")) == (str(page.width), str(page.height))
        lines = pg.findall("a:PrintSpace/a:TextBlock/a:TextLine", ns)
        assert len(lines) == len(page.regions)
        got = [" ".join(s.get("CONTENT") for s in line.findall("a:String", ns)) for line in lines]
        assert [g for g in got if g] == page_texts(page)
        for line, region in zip(lines, page.regions):
            x, y, w, h = region.bbox()
            assert abs(float(line.get("HPOS")) - max(x, 0)) <= 1
            assert line.find("a:Shape/a:Polygon", ns).get("POINTS")
    lines = pages[0].findall("a:PrintSpace/a:TextBlock/a:TextLine", ns)
    assert lines[0].get("CS") == "true" and lines[0].get("PROCESSINGREFS") == "correction"
    assert all(s.get("WC") == "1" for s in lines[0].findall("a:String", ns))
    strings = lines[1].findall("a:String", ns)
    assert [s.get("CONTENT") for s in strings] == ["Café", "crème"]
    assert len(lines[1].findall("a:SP", ns)) == 1
    assert 0 < float(strings[0].get("WC")) <= 1
    assert len(strings[0].get("CC").split()) == 4
    # word boxes follow the line: the first word is left of the second
    assert float(strings[0].get("HPOS")) < float(strings[1].get("HPOS"))
    assert [s.get("CONTENT") for s in lines[3].findall("a:String", ns)] == [""]


def test_real_archive_pages_still_validate() -> None:
    """The validation helpers accept real archive files (sanity check of the test itself)."""
    page_schema = _schema("page-2019-07-15", "pagecontent.xsd")
    alto_schema = _schema("alto-v4", "alto-4-4.xsd")
    _assert_valid(alto_schema, shared_path("samples", "poilus_will_page.alto.xml"))
    folder = shared_path("data", "hw-pages", "page-2019")
    _assert_valid(page_schema, sorted(folder.glob("*.xml"))[0])


# ---------------------------------------------------------------------------------------------
# hOCR


def _title_props(title: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
            for part in title.split(";") if part.strip()}


def test_hocr(doc: Document, tmp_path: Path) -> None:
    out = tmp_path / "doc.hocr"
    export_document(doc, out)
    root = etree.parse(str(out)).getroot()
    ns = {"h": XHTML}
    assert root.tag == f"{{{XHTML}}}html"
    metas = {m.get("name"): m.get("content") for m in root.iterfind("h:head/h:meta", ns)}
    assert metas["ocr-system"].startswith("UniText")
    assert {"ocr_page", "ocr_line", "ocrx_word"} <= set(metas["ocr-capabilities"].split())
    pages = root.findall(".//h:div[@class='ocr_page']", ns)
    assert len(pages) == 2
    for n, (div, page) in enumerate(zip(pages, doc.pages)):
        props = _title_props(div.get("title"))
        assert props["bbox"] == f"0 0 {page.width} {page.height}"
        assert props["ppageno"] == str(n)
        assert props["image"] == '"' + Path(page.image_path).relative_to(tmp_path).as_posix() + '"'
        lines = div.findall(".//h:span[@class='ocr_line']", ns)
        texts = [" ".join(w.text for w in line.findall("h:span[@class='ocrx_word']", ns))
                 for line in lines]
        assert texts == page_texts(page)
        for word in div.iterfind(".//h:span[@class='ocrx_word']", ns):
            wp = _title_props(word.get("title"))
            x0, y0, x1, y1 = map(int, wp["bbox"].split())
            assert 0 <= x0 <= x1 <= page.width and 0 <= y0 <= y1 <= page.height
            assert 0 <= int(wp["x_wconf"]) <= 100
    first_line = pages[0].find(".//h:span[@class='ocr_line']", ns)
    assert "x_corrected 1" in first_line.get("title")
    second = pages[0].findall(".//h:span[@class='ocr_line']", ns)[1]
    assert _title_props(second.get("title"))["textangle"] == "348"
    raw = out.read_text("utf-8")
    assert raw.startswith("<?xml") and "<!DOCTYPE html" in raw


# ---------------------------------------------------------------------------------------------
# PDF


def test_pdf(doc: Document, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    out = tmp_path / "doc.pdf"
    export_document(doc, out)
    reader = pypdf.PdfReader(str(out))
    assert len(reader.pages) == 2
    for pdf_page, page in zip(reader.pages, doc.pages):
        w, h = float(pdf_page.mediabox.width), float(pdf_page.mediabox.height)
        assert w / h == pytest.approx(page.width / page.height, rel=1e-3)
        words = pdf_page.extract_text().split()
        expected = " ".join(page_texts(page)).split()
        assert words == expected
    # page 1 records 200 dpi, page 2 none (300 dpi assumed)
    assert float(reader.pages[0].mediabox.width) == pytest.approx(400 * 72 / 200, abs=0.01)
    assert float(reader.pages[1].mediabox.width) == pytest.approx(300 * 72 / 300, abs=0.01)
    xobjects = list(reader.pages[0]["/Resources"]["/XObject"].values())
    assert xobjects[0].get_object()["/Subtype"] == "/Image"
    # the text is invisible: render mode 3 in the content stream
    assert re.search(rb"\b3 Tr\b", reader.pages[0].get_contents().get_data())


def test_pdf_missing_image(doc: Document, tmp_path: Path) -> None:
    Path(doc.pages[1].image_path).unlink()
    out = tmp_path / "doc.pdf"
    with pytest.raises(ExportError) as err:
        export_document(doc, out)
    assert "page2.jpg" in str(err.value) and str(out) in str(err.value)
    assert not out.exists()


def test_export_to_string_refuses_binary_and_multi_page(doc: Document) -> None:
    with pytest.raises(ExportError, match="binary"):
        export_to_string(doc, "pdf")
    with pytest.raises(ExportError, match="one file per page"):
        export_to_string(doc, "page")
    assert export_to_string(doc, "alto").startswith("<?xml")


def test_page_and_alto_of_an_empty_page_validate(tmp_path: Path) -> None:
    page_schema = _schema("page-2019-07-15", "pagecontent.xsd")
    alto_schema = _schema("alto-v4", "alto-4-4.xsd")
    img = tmp_path / "blank.png"
    Image.new("RGB", (50, 40), "white").save(img)
    unrecognised = TextRegion(RectRegion(-5, -5, 20, 10))
    for regions in ([], [unrecognised]):
        doc = Document(pages=[Page(str(img), 50, 40, regions=regions)])
        _assert_valid(page_schema, export_document(doc, tmp_path / "e.page.xml")[0])
        _assert_valid(alto_schema, export_document(doc, tmp_path / "e.alto.xml")[0])


def test_pdf_characters_without_a_glyph() -> None:
    from unitext_app.exporters.pdf import _runs

    text = "".join(run for _font, run in _runs("a\ue000b é"))
    assert text in ("a\ufffdb é", "a?b é")


def test_pdf_turns_exif_rotated_photos_upright(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    photo = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: shown turned 90 degrees clockwise
    Image.new("RGB", (120, 80), "white").save(photo, exif=exif)
    region = TextRegion(RectRegion(10, 10, 60, 20), machine_text="upright", confidence=0.9)
    doc = Document(pages=[Page(str(photo), 80, 120, regions=[region])])  # upright size
    out = tmp_path / "photo.pdf"
    export_document(doc, out)
    page = pypdf.PdfReader(str(out)).pages[0]
    assert float(page.mediabox.width) / float(page.mediabox.height) == pytest.approx(80 / 120)
    image = list(page["/Resources"]["/XObject"].values())[0].get_object()
    assert (image["/Width"], image["/Height"]) == (80, 120)
    assert "/DCTDecode" in str(image["/Filter"])
    assert page.extract_text().split() == ["upright"]
