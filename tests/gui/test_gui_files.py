"""Files: save and reopen projects, export every format through the Export dialog's code,
corrupt images, multi-page TIFF, EXIF orientation, large scans, recent files, autosave."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from engine.geometry import PolygonRegion, RectRegion, RotatedRectRegion
from unitext_app.document import TextRegion
from unitext_app.gui.commands import AddRegion, ApplyReadings, EditText
from unitext_app.gui.document_model import RegionReading

from gui_helpers import open_and_wait, write_image

pytestmark = pytest.mark.gui


def populate(window) -> list[TextRegion]:
    page = window.page
    shapes = [RectRegion(40, 40, 300, 30), RotatedRectRegion(200, 150, 200, 30, 10),
              PolygonRegion(((40, 220), (300, 215), (310, 260), (45, 262)))]
    regions = []
    for shape in shapes:
        r = TextRegion(shape=shape)
        window.undo.push(AddRegion(window.doc, page.id, r))
        regions.append(r)
    window.undo.push(ApplyReadings(window.doc, {
        (page.id, regions[0].id): RegionReading("THE POND", 0.93, [0.95] * 8, "m.pt", None),
        (page.id, regions[1].id): RegionReading("Lunches", 0.41, [0.9, 0.3, 0.9, 0.9, 0.9, 0.9, 0.2], "m.pt", None)}))
    window.undo.push(EditText(window.doc, page.id, regions[1].id, "Lunchés"))
    return regions


def test_save_and_reopen_project(window, qtbot, image_file, tmp_path, monkeypatch):
    open_and_wait(qtbot, window, image_file)
    regions = populate(window)
    target = tmp_path / "work" / "letter"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    assert window.save()  # no project yet: Save asks for a name (the patched dialog)
    saved = tmp_path / "work" / "letter.unitext.json"
    assert saved.is_file()
    assert not window.isWindowModified() and "letter.unitext.json" in window.windowTitle()
    assert str(saved) in window.settings.recent_files
    data = json.loads(saved.read_text())
    assert data["format"] == "unitext-project"

    window.set_document(type(window.doc.document)())  # start afresh
    assert window.page is None
    window.open_paths([str(saved)])
    qtbot.waitUntil(lambda: window.page is not None)
    page = window.page
    assert [r.id for r in page.regions] == [r.id for r in regions]
    assert [type(r.shape) for r in page.regions] == [RectRegion, RotatedRectRegion, PolygonRegion]
    assert page.regions[1].machine_text == "Lunches" and page.regions[1].corrected_text == "Lunchés"
    assert page.image_path == str(image_file)
    assert window.canvas.region_items.keys() == {r.id for r in regions}
    assert window.undo.count() == 0 and not window.isWindowModified()


def test_open_broken_project_warns(window, tmp_path, dialogs):
    bad = tmp_path / "bad.unitext.json"
    bad.write_text("{ not json")
    window.open_paths([str(bad)])
    assert dialogs and dialogs[-1][0] == "warning" and "bad.unitext.json" in dialogs[-1][2]
    assert window.page is None


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "page", "alto", "hocr", "pdf"])
def test_export_every_format_through_the_dialog(window, qtbot, image_file, tmp_path, fmt):
    from unitext_app.gui.exporting import formats
    assert [f.name for f in formats()] == ["text", "json", "csv", "page", "alto", "hocr", "pdf"]
    open_and_wait(qtbot, window, image_file)
    populate(window)
    dialog = window.make_export_dialog()
    dialog.set_format(fmt)
    suffix = dialog.current_format.suffix
    target = tmp_path / f"out{suffix}"
    dialog.choose_path = lambda suggested, f: str(target)  # bypass the native file chooser
    dialog.browse()
    assert dialog.path_edit.text() == str(target)
    with qtbot.waitSignal(dialog.signals.finished, timeout=20000):
        dialog.export_button.click()
    assert dialog.error == "", dialog.error
    assert dialog.written == [target] and target.is_file() and target.stat().st_size > 0
    if fmt in ("text", "json", "csv", "page", "alto", "hocr"):
        content = target.read_text(encoding="utf-8")
        assert "POND" in content and "Lunchés" in content  # ALTO splits words
    else:
        assert target.read_bytes().startswith(b"%PDF")
    from tests.support.xml_schemas import ALTO_V4, PAGE_2019, assert_valid, load_schema
    if fmt == "page":
        assert_valid(load_schema(*PAGE_2019), target)
    if fmt == "alto":
        assert_valid(load_schema(*ALTO_V4), target)
    if fmt == "pdf":
        from pypdf import PdfReader
        layer = " ".join(p.extract_text() for p in PdfReader(str(target)).pages)
        assert "POND" in layer and "Lunchés" in layer
    assert str(target) in window.statusBar().currentMessage()
    assert window.settings.value("export/format") == fmt


def test_export_error_is_shown_in_the_dialog(window, qtbot, image_file, tmp_path):
    open_and_wait(qtbot, window, image_file)
    populate(window)
    dialog = window.make_export_dialog()
    dialog.set_format("text")
    dialog.path_edit.setText(str(tmp_path / "missing-folder" / "x.txt"))
    with qtbot.waitSignal(dialog.signals.finished, timeout=10000):
        dialog.export()
    assert dialog.error and "does not exist" in dialog.status.text()


def test_corrupt_image_shows_message_and_keeps_the_rest(window, qtbot, image_file, tmp_path, dialogs):
    open_and_wait(qtbot, window, image_file)
    populate(window)
    broken = tmp_path / "broken.png"
    broken.write_bytes(image_file.read_bytes()[:200])  # truncated PNG
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"not an image at all")
    window.open_paths([str(broken), str(garbage)])
    qtbot.waitUntil(lambda: any(kind == "warning" for kind, *_ in dialogs), timeout=10000)
    kind, title, text = dialogs[-1]
    assert "broken.png" in text and "garbage.jpg" in text
    assert len(window.doc.pages) == 1 and len(window.page.regions) == 3
    assert window.isVisible()


def test_multipage_tiff_opens_every_page(window, qtbot, tmp_path):
    frames = [Image.fromarray(np.full((300, 400, 3), v, np.uint8)) for v in (50, 150, 250)]
    tiff = tmp_path / "scan.tif"
    frames[0].save(tiff, save_all=True, append_images=frames[1:])
    open_and_wait(qtbot, window, tiff)
    assert [p.frame for p in window.doc.pages] == [0, 1, 2]
    assert window.page_list.count() == 3 and window.pages_dock.isVisible()
    assert "scan.tif p.2" in window.page_list.item(1).text()
    window.page_list.setCurrentRow(2)
    assert window.current == 2 and window.page_label.text() == "Page 3 / 3"
    qtbot.waitUntil(lambda: window.store.image(window.page.id).full is not None)
    assert window.store.image(window.page.id).full[0, 0, 0] == 250
    # page thumbnails arrive in the background
    qtbot.waitUntil(lambda: all(not window.page_list.item(i).icon().isNull() for i in range(3)))


def test_exif_orientation_is_honoured(window, qtbot, tmp_path):
    array = np.zeros((100, 300, 3), np.uint8)  # stored landscape
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display -> portrait 100 x 300
    path = tmp_path / "photo.jpg"
    Image.fromarray(array).save(path, exif=exif.tobytes())
    open_and_wait(qtbot, window, path)
    assert (window.page.width, window.page.height) == (100, 300)
    assert window.store.image(window.page.id).full.shape[:2] == (300, 100)


@pytest.mark.parametrize("suffix,kw", [(".bmp", {}), (".webp", {"lossless": True}), (".jpeg", {"quality": 90})])
def test_other_formats_open(window, qtbot, tmp_path, suffix, kw):
    path = write_image(tmp_path / f"img{suffix}", **kw)
    open_and_wait(qtbot, window, path)
    assert window.page.width == 640


def test_large_scan_preview_first_window_responsive(window, qtbot, tmp_path):
    """A 6000 x 8000 JPEG: the preview shows before the full image, the GUI thread keeps
    handling events meanwhile (a timer keeps ticking)."""
    big = np.full((8000, 6000, 3), 230, np.uint8)
    big[::200] = 20
    path = tmp_path / "big.jpg"
    Image.fromarray(big).save(path, quality=70)
    del big
    ticks = []
    from PySide6.QtCore import QTimer
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    stages = []
    window.store.imageChanged.connect(lambda pid: stages.append(
        "full" if window.store.image(pid).full is not None else "preview"))
    open_and_wait(qtbot, window, path, timeout=60000)
    timer.stop()
    assert stages[0] == "preview" and stages[-1] == "full"
    preview = window.store.image(window.page.id).preview
    assert max(preview.shape[:2]) <= 2048
    gaps = np.diff(ticks)
    assert len(ticks) > 5 and gaps.max() < 1.0, f"GUI thread stalled for {gaps.max():.2f}s"
    window.canvas.actual_size()
    window.canvas.grab()  # paints the full-resolution part without error


def test_recent_files_menu(window, qtbot, image_file):
    open_and_wait(qtbot, window, image_file)
    assert window.settings.recent_files[0] == str(image_file)
    window._fill_recent_menu()
    texts = [a.text() for a in window.recent_menu.actions()]
    assert any("page.png" in t for t in texts)
    window.set_document(type(window.doc.document)())
    action = next(a for a in window.recent_menu.actions() if a.data() == str(image_file))
    action.trigger()
    qtbot.waitUntil(lambda: window.page is not None)


def test_autosave_and_recovery(qtbot, image_file, tmp_path, dialogs, monkeypatch):
    from unitext_app.gui import messages
    from unitext_app.gui.main_window import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    open_and_wait(qtbot, first, image_file)
    populate(first)
    path = first.autosaver.autosave_now()
    assert path is not None and path.is_file()
    assert str(path).startswith(os.environ["XDG_DATA_HOME"]), "autosaves go to the per-user data folder"
    assert first.autosaver.autosave_now() is None, "nothing changed since"
    # simulate a crash: the autosave stays, from another process id
    crashed = path.with_name("untitled-99999.autosave.json")
    path.rename(crashed)
    first.autosaver.timer.stop()
    first.doc.mark_saved(str(tmp_path / "unused.unitext.json"))  # let it close quietly
    first.close()

    monkeypatch.setattr(messages, "ask_recover", lambda parent, text: dialogs.append(("ask_recover", "", text)) or "recover")
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.offer_recovery()
    assert "1 page(s), 3 region(s)" in dialogs[-1][2]
    assert len(second.page.regions) == 3 and second.page.regions[1].corrected_text == "Lunchés"
    assert second.isWindowModified()
    assert not crashed.exists(), "the recovered autosave is replaced by this session's own"
    assert second.autosaver.autosave_now() is None
    second.close()
    assert not list(crashed.parent.glob("*.autosave.json")), "a clean exit leaves no autosave"


def test_autosave_timer_interval_follows_settings(window):
    window.settings.autosave_seconds = 5
    window.apply_settings()
    assert window.autosaver.timer.interval() == 5000 and window.autosaver.timer.isActive()
    window.settings.autosave_seconds = 0
    window.apply_settings()
    assert not window.autosaver.timer.isActive()


def test_open_dialog_action(window, qtbot, image_file, monkeypatch):
    seen = {}

    def fake_dialog(parent, caption, folder, filters):
        seen["filters"] = filters
        return [str(image_file)], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(fake_dialog))
    window.act.open.trigger()
    qtbot.waitUntil(lambda: window.page is not None)
    for pattern in ("*.png", "*.jpg", "*.tif", "*.tiff", "*.bmp", "*.webp", "*.unitext.json"):
        assert pattern in seen["filters"]
    assert window.settings.last_dir == str(image_file.parent)


def test_missing_image_of_a_project_is_reported_not_fatal(window, qtbot, image_file, tmp_path, dialogs):
    open_and_wait(qtbot, window, image_file)
    populate(window)
    project = tmp_path / "p.unitext.json"
    assert window.save_to(str(project))
    moved = tmp_path / "gone.png"
    image_file.rename(moved)
    window.set_document(type(window.doc.document)())
    window.open_paths([str(project)])
    qtbot.waitUntil(lambda: any(kind == "warning" for kind, *_ in dialogs), timeout=10000)
    assert "not found" in dialogs[-1][2]
    assert len(window.page.regions) == 3, "the regions and texts are still there to export"
