"""``unitext read``: recognise regions of images from the command line.

Exit codes: 0 everything was read; 1 something could not be read (a missing or corrupt
image, a region outside its image, an unusable model) — the rest is still read and
printed; 2 the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.geometry import PolygonRegion, RectRegion, Region, RotatedRectRegion

from .document import Document, Page, TextRegion

FORMATS_TO_STDOUT = ("text", "json", "csv", "hocr", "page", "alto")


class UsageError(Exception):
    pass


def _floats(value: str, count: int | None, what: str) -> list[float]:
    try:
        numbers = [float(v) for v in value.replace(" ", "").split(",") if v != ""]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be comma-separated numbers, got {value!r}")
    if count is not None and len(numbers) != count:
        raise argparse.ArgumentTypeError(f"{what} needs {count} numbers, got {value!r}")
    return numbers


def parse_box(value: str) -> RectRegion:
    x, y, w, h = _floats(value, 4, "--box x,y,w,h")
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"--box {value!r}: width and height must be positive")
    return RectRegion(x, y, w, h)


def parse_rbox(value: str) -> RotatedRectRegion:
    cx, cy, w, h, angle = _floats(value, 5, "--rbox cx,cy,w,h,angle")
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"--rbox {value!r}: width and height must be positive")
    return RotatedRectRegion(cx, cy, w, h, angle)


def parse_polygon(value: str) -> PolygonRegion:
    nums = _floats(value, None, "--polygon x1,y1,x2,y2,...")
    if len(nums) < 6 or len(nums) % 2:
        raise argparse.ArgumentTypeError(f"--polygon {value!r}: needs at least 3 x,y pairs")
    return PolygonRegion(tuple(zip(nums[0::2], nums[1::2])))


def read_regions_file(path: Path) -> list[Region]:
    """Lines of ``x,y,w,h`` (optionally followed by a tab and text, which is ignored)."""
    regions: list[Region] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            regions.append(parse_box(line.split("\t", 1)[0]))
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"{path}:{n}: {exc}") from exc
    return regions


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="unitext read", description=__doc__.split("\n\n")[0])
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (multi-page TIFF: every page)")
    p.add_argument("--box", action="append", type=parse_box, default=[], metavar="x,y,w,h",
                   help="an axis-aligned region (repeatable); default: the whole image")
    p.add_argument("--rbox", action="append", type=parse_rbox, default=[], metavar="cx,cy,w,h,angle",
                   help="a rotated rectangle, angle in degrees clockwise (repeatable)")
    p.add_argument("--polygon", action="append", type=parse_polygon, default=[], metavar="x1,y1,...",
                   help="a polygon region (repeatable)")
    p.add_argument("--regions", type=Path, metavar="FILE", help="a file of x,y,w,h lines")
    p.add_argument("--format", default="text",
                   help="text, json, csv, page, alto, hocr or pdf (pdf needs --output)")
    p.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    p.add_argument("--model", type=Path, help="model file (default: the bundled model)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--batch-size", type=int, default=16)
    return p


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # argparse already printed the message
        return 0 if exc.code == 0 else 2
    try:
        regions = list(args.box) + list(args.rbox) + list(args.polygon)
        if args.regions is not None:
            if not args.regions.is_file():
                raise UsageError(f"--regions {args.regions}: no such file")
            regions += read_regions_file(args.regions)
        fmt = args.format.lower()
        from .exporters import available_formats
        if fmt not in available_formats():
            raise UsageError(f"unknown --format {fmt!r}; choose from {', '.join(available_formats())}")
        if fmt not in FORMATS_TO_STDOUT and args.output is None:
            raise UsageError(f"--format {fmt} writes a binary file: give --output PATH")
    except UsageError as exc:
        print(f"unitext read: {exc}", file=sys.stderr)
        return 2
    return run(args, regions, fmt)


def _error(message: str) -> None:
    print(f"unitext read: {message}", file=sys.stderr)


def _missing_default_model_hint(model: Path | None) -> str:
    """Why there is no model when none was asked for, and what to do about it."""
    import os

    from engine.resources import MODEL_ENV, default_model_path
    if model is not None or os.environ.get(MODEL_ENV) or default_model_path().exists():
        return ""
    return (f"\n  no default model is installed; pass --model FILE or set {MODEL_ENV} "
            "(`unitext train pipeline` trains one, `python -m training.ship` installs it)")


def run(args: argparse.Namespace, regions: list[Region], fmt: str) -> int:
    from engine.checkpoint import ModelFileError
    from engine.device import DeviceError
    from engine.imageio import ImageLoadError, count_frames, load_image
    from engine.recognizer import Prediction, Recognizer

    try:
        recognizer = Recognizer.load(args.model, device=args.device)
    except (ModelFileError, DeviceError) as exc:
        _error(str(exc) + _missing_default_model_hint(args.model))
        return 1
    failed = False
    doc = Document(metadata={"model": recognizer.model_path})
    for name in args.images:
        path = Path(name)
        try:
            frames = count_frames(path)
        except ImageLoadError as exc:
            _error(str(exc))
            failed = True
            continue
        for frame in range(frames):
            try:
                image = load_image(path, frame)
            except ImageLoadError as exc:
                _error(str(exc))
                failed = True
                continue
            height, width = image.shape[:2]
            page = Page(image_path=str(path.resolve()), width=width, height=height, frame=frame)
            page_regions = regions or [RectRegion(0, 0, width, height)]
            results = recognizer.recognize_regions(image, page_regions, batch_size=args.batch_size)
            for region, result in zip(page_regions, results):
                if isinstance(result, Prediction):
                    page.regions.append(TextRegion(
                        shape=region, machine_text=result.text, confidence=result.confidence,
                        char_confidences=result.char_confidences, model=Path(recognizer.model_path).name))
                else:
                    where = f"{path}" + (f" page {frame + 1}" if frames > 1 else "")
                    _error(f"{where}: {result}")
                    failed = True
            doc.pages.append(page)
    if doc.pages:
        failed |= not _emit(doc, fmt, args.output)
    return 1 if failed else 0


def _emit(doc: Document, fmt: str, output: Path | None) -> bool:
    from .exporters import ExportError, export_document, export_to_string

    try:
        if output is None:
            sys.stdout.write(export_to_string(doc, fmt))
            sys.stdout.flush()
        else:
            export_document(doc, output, fmt)
    except (ExportError, OSError) as exc:
        _error(str(exc))
        return False
    return True
