"""The GUI half of the packaging smoke test: start the real window, open an image, optionally
read the scene sample's regions with a model, report what happened as JSON, quit.

Inside the bundle it runs in the ``unitext`` program itself (``UNITEXT_SMOKE_GUI=1
dist/unitext/unitext ...``, see entry.py), so it exercises the bundle's own Qt plugins, icons,
resources, torch and model loading. From a source checkout: ``python packaging/smoke_gui.py``.

    [UNITEXT_SMOKE_GUI=1] unitext --image IMG [--model MODEL --recognise] [--timeout S]

Settings and autosaves go to a temporary folder (the user's are untouched), and the window's
message boxes are replaced by recorders (a modal box would wait forever headless). Exit code
0 when everything checked out; 1 with the reason otherwise. Output: one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()

WANTED_IMAGE_FORMATS = ("png", "jpeg", "tiff", "webp", "gif", "bmp", "ico", "svg")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="unitext (smoke GUI)")
    p.add_argument("--image", type=Path, help="an image to open (default: the scene sample)")
    p.add_argument("--model", type=Path, help="model for --recognise (default: the bundled one)")
    p.add_argument("--recognise", action="store_true",
                   help="also read the scene sample's drawn regions through the GUI's worker")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds for each wait")
    return p.parse_args(argv)


class Failed(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    report: dict[str, object] = {"ok": False, "frozen": bool(getattr(sys, "frozen", False))}
    try:
        run(args, report)
        report["ok"] = True
    except Failed as exc:
        report["error"] = str(exc)
    except Exception as exc:  # report, do not hide: the traceback goes to stderr as well
        import traceback
        traceback.print_exc()
        report["error"] = f"{type(exc).__name__}: {exc}"
    report["seconds"] = round(time.perf_counter() - T0, 2)
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return 0 if report["ok"] else 1


def run(args: argparse.Namespace, report: dict) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="unitext-smoke-gui-"))
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QImageReader
    from PySide6.QtWidgets import QApplication

    from engine.resources import resources_dir
    from unitext_app.gui import messages
    from unitext_app.gui.app import create_application
    from unitext_app.gui.settings import AppSettings
    from unitext_app.gui.style import icon
    from unitext_app.samples import SCENE_SAMPLE, boxes_page, samples_dir

    said: list[str] = []
    messages.warn = lambda parent, title, text, details="": said.append(f"{title}: {text}")
    messages.inform = lambda parent, title, text: said.append(f"{title}: {text}")
    messages.ask_save = lambda parent, name: "discard"
    messages.ask_recover = lambda parent, description: "later"
    messages.ask_model_settings = lambda parent, text: said.append(text) and False
    report["messages"] = said

    app = create_application()
    report["platform"] = QApplication.platformName()
    report["resources_dir"] = str(resources_dir())
    formats = sorted(bytes(f).decode() for f in QImageReader.supportedImageFormats())
    missing = [f for f in WANTED_IMAGE_FORMATS if f not in formats]
    report["image_formats"] = formats
    if missing:
        raise Failed(f"Qt image formats missing: {missing}")
    if icon("unitext").isNull() or icon("unitext").pixmap(32, 32).isNull():
        raise Failed("the application icon (SVG) does not render: iconengines/imageformats plugin missing?")

    from unitext_app.gui.main_window import MainWindow
    settings = AppSettings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    if args.model:
        settings.model_path = str(args.model.resolve())
    settings.device = "cpu"
    window = MainWindow(settings=settings, autosave_folder=tmp / "autosave")
    window.show()
    wait_until(app, lambda: window.isVisible() and window.windowHandle() is not None
               and window.windowHandle().isExposed(), args.timeout, "the window to show")
    report["first_window_s"] = round(time.perf_counter() - T0, 2)
    report["window_title"] = window.windowTitle()

    image = (args.image or samples_dir() / SCENE_SAMPLE).resolve()
    window.open_paths([str(image)])
    wait_until(app, lambda: bool(window.doc.pages) or bool(said), args.timeout, f"{image.name} to open")
    if not window.doc.pages:
        raise Failed(f"{image} did not open: {said}")
    page = window.doc.pages[0]
    wait_until(app, lambda: _full_pixels(window, page.id) is not None or bool(window.store.failure(page.id)),
               args.timeout, f"the pixels of {image.name}")
    if window.store.failure(page.id):
        raise Failed(f"{image} failed to load: {window.store.failure(page.id)}")
    full = _full_pixels(window, page.id)
    report["opened"] = {"image": image.name, "pages": len(window.doc.pages),
                        "size": [int(full.shape[1]), int(full.shape[0])]}
    report["document_loaded_s"] = round(time.perf_counter() - T0, 2)

    if args.recognise:
        from unitext_app.document import Document
        scene = boxes_page(samples_dir() / SCENE_SAMPLE)
        window.set_document(Document(pages=[scene]), None)
        wait_until(app, lambda: _full_pixels(window, window.doc.pages[0].id) is not None,
                   args.timeout, "the sample's pixels")
        if not window.recognise("page"):
            raise Failed(f"recognition did not start: {said}")
        page_id = window.doc.pages[0].id
        wait_until(app, lambda: not window.recognition.busy and window._job is None,  # noqa: SLF001
                   args.timeout * 3, "recognition to finish")
        page = next(p for p in window.doc.pages if p.id == page_id)
        if said:
            raise Failed(f"recognition reported: {said}")
        unread = [r for r in page.regions if not r.is_recognised]
        if unread:
            raise Failed(f"{len(unread)} of {len(page.regions)} regions were not read")
        report["texts"] = [r.machine_text for r in page.regions]
        report["confidences"] = [round(float(r.confidence or 0.0), 4) for r in page.regions]
        report["recognised_s"] = round(time.perf_counter() - T0, 2)

    # Leave without the "save changes?" question; stop the threads first.
    window.recognition.shutdown()
    window.loader.pool.clear()
    window.loader.wait(5000)
    window.autosaver.timer.stop()
    window.hide()
    window.deleteLater()
    app.processEvents()


def _full_pixels(window, page_id: str):  # noqa: ANN001, ANN202
    image = window.store.image(page_id)
    return None if image is None else image.full


def wait_until(app, condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise Failed(f"timed out after {timeout:.0f}s waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    # From a source checkout: make the repository importable like the bundle does.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
