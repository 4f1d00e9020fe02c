"""Searchable PDF: each page image drawn full-page under an invisible text layer.

* One PDF page per document page, the image filling it. Page size: the image's pixel size
  at its resolution when the file records a plausible one (100-1200 dpi), else at 300 dpi;
  the aspect ratio is always the image's. Untouched baseline JPEGs are embedded as they are;
  other images are embedded losslessly (JPEG sources that had to be turned upright
  are re-encoded as JPEG, quality 92).
* Each region with text gets its final text in text render mode 3 (invisible), laid along
  the region: baseline direction from the middle of the region's left edge to the middle of
  its right edge (so rotated rectangles and vertical text are followed), font size from the
  region's height, horizontally scaled to the region's length. Selecting or searching in a
  viewer highlights the region. Curved polygons are approximated by that chord.
* Text goes in reading order, each region followed by a space, so text extraction gives the
  regions in order with words separated.
* Font: the invisible layer only needs correct Unicode on extraction, so it takes the first
  TrueType font found of DejaVu Sans (Linux), Arial / Segoe UI (Windows), Arial Unicode /
  Arial (macOS), then reportlab's bundled Bitstream Vera (always there); other fonts found
  are used for characters the first one lacks. A character no font covers is written as
  U+FFFD (shown as such on extraction). If no TrueType font can be loaded at all, Helvetica
  is used: characters outside Windows-1252 then come out as '?'.
* An image that cannot be read stops the export with an ExportError naming the image (a
  searchable PDF without its page images would be misleading).
"""

from __future__ import annotations

import functools
import io
import math
import os
from pathlib import Path

from PIL import Image, ImageOps

from unitext_app.document import Document, Page, TextRegion
from unitext_app.exporters._common import ExportContext, ExportError, clean_text, strip_edges

NAME = "pdf"
DESCRIPTION = "Searchable PDF"
SUFFIXES = (".pdf",)
BINARY = True

DEFAULT_DPI = 300.0
_FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts", "arial.ttf"),
    os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts", "segoeui.ttf"),
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
]


# ---------------------------------------------------------------------------------------------
# images


def load_page_image(path: str, frame: int = 0) -> Image.Image:
    """The page image, upright, as an RGB PIL image (the one place images are read)."""
    try:
        from engine.imageio import load_image
    except ImportError:
        load_image = None
    if load_image is not None:
        try:
            return Image.fromarray(load_image(path, frame))
        except Exception as exc:  # ImageLoadError names the file and the reason
            raise ExportError(None, str(exc)) from exc
    try:
        with Image.open(path) as im:
            if frame:
                im.seek(frame)
            return ImageOps.exif_transpose(im).convert("RGB")
    except Exception as exc:
        raise ExportError(None, f"cannot load image {path!r}: {exc}") from exc


def _image_for_pdf(page: Page):
    """What to hand reportlab: the JPEG file itself when it can go in untouched, else an
    ImageReader over the decoded upright image."""
    from reportlab.lib.utils import ImageReader

    src_format = None
    try:
        with Image.open(page.image_path) as im:
            src_format = im.format
            if (page.frame == 0 and im.format == "JPEG" and im.mode in ("RGB", "L")
                    and im.getexif().get(0x0112, 1) == 1
                    and not im.info.get("progressive")):
                return ImageReader(page.image_path)
    except Exception:
        pass  # load_page_image reports the problem
    image = load_page_image(page.image_path, page.frame)
    if src_format == "JPEG":
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=92)
        buf.seek(0)
        return ImageReader(buf)
    return ImageReader(image)


def _dpi(path: str) -> float:
    try:
        with Image.open(path) as im:
            dpi = im.info.get("dpi")
    except Exception:
        return DEFAULT_DPI
    try:
        x = float(dpi[0])
    except (TypeError, ValueError, IndexError):
        return DEFAULT_DPI
    return x if 100 <= x <= 1200 else DEFAULT_DPI


# ---------------------------------------------------------------------------------------------
# fonts


@functools.lru_cache(maxsize=1)
def text_fonts() -> tuple[tuple[str, frozenset[int] | None], ...]:
    """Registered (font name, covered code points) pairs, preferred first; Helvetica with
    ``None`` coverage when no TrueType font could be loaded."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    import reportlab

    candidates = list(_FONT_CANDIDATES)
    candidates.append(os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf"))
    fonts: list[tuple[str, frozenset[int] | None]] = []
    seen: set[str] = set()
    for path in candidates:
        if not os.path.isfile(path):
            continue
        name = "UniText-" + Path(path).stem.replace(" ", "")
        if name in seen:
            continue
        try:
            font = TTFont(name, path)
            pdfmetrics.registerFont(font)
        except Exception:  # not a usable TrueType font (e.g. CFF outlines)
            continue
        seen.add(name)
        fonts.append((name, frozenset(font.face.charToGlyph)))
        if len(fonts) >= 3:
            break
    if not fonts:
        fonts.append(("Helvetica", None))
    return tuple(fonts)


def _runs(text: str) -> list[tuple[str, str]]:
    """Split text into (font name, run) so each character is in a font that has it."""
    fonts = text_fonts()
    runs: list[tuple[str, str]] = []
    for ch in text:
        name = fonts[0][0]
        covered = fonts[0][1]
        if covered is None:
            ch = ch if ch.encode("cp1252", "ignore") else "?"
        elif ch != " ":
            for fname, cov in fonts:
                if ord(ch) in cov:  # type: ignore[operator]
                    name = fname
                    break
            else:
                ch = "\ufffd" if 0xFFFD in covered else "?"
        elif runs:
            name = runs[-1][0]
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + ch)
        else:
            runs.append((name, ch))
    return runs


# ---------------------------------------------------------------------------------------------
# drawing


def _text_frame(region: TextRegion) -> tuple[tuple[float, float], float, float, float] | None:
    """(bottom-left origin, angle in degrees clockwise on screen, length, height) in pixels."""
    top, bottom = strip_edges(region.shape)
    (tlx, tly), (blx, bly) = top[0], bottom[0]
    (trx, try_), (brx, bry) = top[-1], bottom[-1]
    lx, ly = (tlx + blx) / 2, (tly + bly) / 2
    rx, ry = (trx + brx) / 2, (try_ + bry) / 2
    length = math.hypot(rx - lx, ry - ly)
    height = (math.hypot(tlx - blx, tly - bly) + math.hypot(trx - brx, try_ - bry)) / 2
    if length <= 0 or height <= 0:
        return None
    return (blx, bly), math.degrees(math.atan2(ry - ly, rx - lx)), length, height


def _draw_region_text(c, region: TextRegion, scale: float, page_h: float) -> None:
    from reportlab.pdfbase import pdfmetrics

    text = clean_text(region.text).strip()
    frame = _text_frame(region)
    if not text or frame is None:
        return
    (ox, oy), angle, length, height = frame
    runs = _runs(text)
    main = runs[0][0]
    ascent, descent = pdfmetrics.getAscentDescent(main, 1000)
    em = (ascent - descent) / 1000 or 1.0
    size = max(height * scale / em, 0.5)
    width = sum(pdfmetrics.stringWidth(run, name, size) for name, run in runs)
    if width <= 0:
        return
    c.saveState()
    c.translate(ox * scale, page_h - oy * scale)
    c.rotate(-angle)
    t = c.beginText()
    t.setTextRenderMode(3)
    t.setHorizScale(100.0 * length * scale / width)
    t.setTextOrigin(0, -descent / 1000 * size)
    for name, run in runs:
        t.setFont(name, size)
        t.textOut(run)
    t.textOut(" ")
    c.drawText(t)
    c.restoreState()


def render(doc: Document, ctx: ExportContext) -> list[bytes]:
    from reportlab import rl_config
    from reportlab.pdfgen import canvas

    if not doc.pages:
        raise ExportError(ctx.out_path, "the document has no pages")
    buf = io.BytesIO()
    # ASCII85 (reportlab's default) makes every stream a quarter bigger for nothing.
    old_a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        c = canvas.Canvas(buf, pageCompression=1)
        c.setCreator(ctx.software)
        c.setAuthor("")
        c.setSubject("")
        c.setTitle(ctx.out_path.stem if ctx.out_path else "UniText OCR")
        for page in doc.pages:
            image = _image_for_pdf(page)
            scale = 72.0 / _dpi(page.image_path)
            page_w, page_h = page.width * scale, page.height * scale
            c.setPageSize((page_w, page_h))
            c.drawImage(image, 0, 0, width=page_w, height=page_h)
            for region in page.regions:
                _draw_region_text(c, region, scale, page_h)
            c.showPage()
        c.save()
    finally:
        rl_config.useA85 = old_a85
    return [buf.getvalue()]
