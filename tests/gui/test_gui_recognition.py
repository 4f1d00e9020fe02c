"""Recognition through the worker thread with a fake recognizer injected by factory:
results land as one undoable step, progress is shown, cancel keeps what was read."""

from __future__ import annotations

import threading

import pytest

from engine.geometry import RectRegion
from unitext_app.document import TextRegion
from unitext_app.gui.commands import AddRegion

from gui_helpers import FakeRecognizer, fake_factory, open_and_wait

pytestmark = pytest.mark.gui


def add_regions(window, n: int) -> list[TextRegion]:
    out = []
    for i in range(n):
        region = TextRegion(shape=RectRegion(10 + i, 40, 200, 30))
        window.undo.push(AddRegion(window.doc, window.page.id, region))
        out.append(region)
    return out


def wait_done(qtbot, window, timeout=10000):
    qtbot.waitUntil(lambda: not window.recognition.busy and window._job is None, timeout=timeout)


def test_recognise_page_applies_results_as_one_undo_step(window, qtbot, image_file):
    open_and_wait(qtbot, window, image_file)
    regions = add_regions(window, 3)
    progress = []
    window.recognition.worker.progress.connect(lambda job, done, total: progress.append((done, total)))
    assert window.recognise("page")
    assert window.progress_box.isVisibleTo(window)
    wait_done(qtbot, window)
    page = window.page
    assert [r.machine_text for r in page.regions] == [f"text{10 + i}" for i in range(3)]
    assert all(r.confidence == pytest.approx(0.8) for r in page.regions)
    assert page.regions[0].char_confidences[-1] == pytest.approx(0.3)
    assert page.regions[0].model == "fake-model.pt"
    assert progress[-1] == (3, 3)
    assert not window.progress_box.isVisibleTo(window)
    assert window.undo.undoText() == "Recognise 3 regions"
    # the canvas and the list show the readings
    assert window.canvas.region_item(regions[0].id).text == "text10"
    assert window.list_model.index(0).data() == "text10"
    window.undo.undo()
    assert all(r.machine_text is None for r in window.page.regions)
    window.undo.redo()
    assert window.page.regions[2].machine_text == "text12"


def test_recognise_selected_only(window, qtbot, image_file):
    open_and_wait(qtbot, window, image_file)
    regions = add_regions(window, 3)
    window.selection.set([regions[1].id])
    window.act.recognise_selected.trigger()
    wait_done(qtbot, window)
    assert [r.machine_text for r in window.page.regions] == [None, "text11", None]


def test_correction_survives_recognition(window, qtbot, image_file):
    open_and_wait(qtbot, window, image_file)
    (region,) = add_regions(window, 1)
    window._on_text_edit(region.id, "typed by hand")
    window.recognise("page")
    wait_done(qtbot, window)
    r = window.page.regions[0]
    assert r.machine_text == "text10" and r.corrected_text == "typed by hand" and r.text == "typed by hand"


def test_cancel_keeps_finished_chunks(qtbot, image_file, monkeypatch):
    """Chunks of batch_size*2 regions: cancel after the first chunk keeps its readings."""
    from unitext_app.gui.main_window import MainWindow

    gate = threading.Event()
    window = MainWindow(recognizer_factory=fake_factory(gate=gate, gate_after=2))
    qtbot.addWidget(window)
    window.show()
    window.settings.batch_size = 1  # chunks of 2 regions
    open_and_wait(qtbot, window, image_file)
    add_regions(window, 6)
    got_chunk = []
    window.recognition.worker.results.connect(lambda *a: got_chunk.append(a))
    window.recognise("page")
    assert window.act.cancel.isEnabled()
    qtbot.waitUntil(lambda: len(got_chunk) >= 1, timeout=5000)  # first chunk read; worker held
    qtbot.waitUntil(lambda: window.progress.value() == 2, timeout=5000)
    window.act.cancel.trigger()
    gate.set()
    wait_done(qtbot, window)
    read = [r.machine_text for r in window.page.regions]
    assert read[:2] == ["text10", "text11"]
    assert read.count(None) >= 1, "cancelled before the end"
    assert "Cancelled" in window.statusBar().currentMessage()
    assert not window.act.cancel.isEnabled()
    window.close()


def test_region_moved_during_recognition_is_not_overwritten(window, qtbot, image_file):
    open_and_wait(qtbot, window, image_file)
    (region,) = add_regions(window, 1)
    gate = threading.Event()
    # hold the worker until the region is moved
    window.recognition.worker._factory = fake_factory(gate=gate)
    window.recognition.worker._recognizer = None
    window.recognise("page")
    from unitext_app.gui.commands import SetShapes
    window.undo.push(SetShapes(window.doc, window.page.id, {region.id: (region.shape, RectRegion(50, 50, 100, 30))}, "Move"))
    gate.set()
    wait_done(qtbot, window)
    assert window.page.regions[0].machine_text is None
    assert "changed meanwhile" in window.statusBar().currentMessage()


def test_model_is_loaded_once_in_the_worker_thread(window, qtbot, image_file):
    FakeRecognizer.loads.clear()
    threads = []
    original = window.recognition.worker._factory

    def factory(path, device):
        threads.append(threading.current_thread())
        return original(path, device)

    window.recognition.worker._factory = factory
    open_and_wait(qtbot, window, image_file)
    add_regions(window, 2)
    window.recognise("page")
    wait_done(qtbot, window)
    window.recognise("page")
    wait_done(qtbot, window)
    assert len(threads) == 1 and threads[0] is not threading.main_thread()
    window.settings.device = "cpu"
    window.recognise("page")
    wait_done(qtbot, window)
    assert len(threads) == 2, "a new device means a new recognizer"


def test_missing_model_says_choose_one_in_settings(qtbot, image_file, dialogs, tmp_path, monkeypatch):
    """The real default factory with no model file: a message, no crash, no torch import."""
    from unitext_app.gui import messages
    from unitext_app.gui.main_window import MainWindow

    asked = []
    monkeypatch.setattr(messages, "ask_model_settings", lambda parent, text: asked.append(text) or False)
    monkeypatch.setenv("UNITEXT_MODEL", str(tmp_path / "missing.pt"))
    window = MainWindow()  # default factory
    qtbot.addWidget(window)
    window.show()
    open_and_wait(qtbot, window, image_file)
    add_regions(window, 1)
    window.recognise("page")
    wait_done(qtbot, window)
    assert asked and asked[0].startswith("No model") and "Settings" in asked[0]
    assert window.page.regions[0].machine_text is None
    window.close()


def test_recognise_all_pages_loads_unvisited_pages_in_the_worker(window, qtbot, tmp_path):
    from gui_helpers import write_image
    a = write_image(tmp_path / "a.png")
    b = write_image(tmp_path / "b.png")
    open_and_wait(qtbot, window, a, b)
    first, second = window.doc.pages
    window.undo.push(AddRegion(window.doc, first.id, TextRegion(shape=RectRegion(10, 40, 100, 30))))
    window.undo.push(AddRegion(window.doc, second.id, TextRegion(shape=RectRegion(20, 40, 100, 30))))
    window.recognise("all")
    wait_done(qtbot, window)
    assert first.regions[0].machine_text == "text10"
    assert second.regions[0].machine_text == "text20"
    window.undo.undo()
    assert second.regions[0].machine_text is None


def test_device_error_offers_settings_other_errors_warn(window, qtbot, image_file, dialogs, monkeypatch):
    from unitext_app.gui import messages

    class DeviceError(Exception):
        pass

    asked = []
    monkeypatch.setattr(messages, "ask_model_settings", lambda parent, text: asked.append(text) or False)
    open_and_wait(qtbot, window, image_file)
    add_regions(window, 1)

    def no_gpu(path, device):
        raise DeviceError("CUDA was requested but no CUDA device is available")

    window.recognition.worker._factory = no_gpu
    window.recognise("page")
    wait_done(qtbot, window)
    assert asked and "CUDA" in asked[0]

    class Broken:
        def recognize_regions(self, *a, **k):
            raise RuntimeError("out of memory")

    window.recognition.worker._factory = lambda path, device: Broken()
    window.recognition.worker._recognizer = None
    window.recognition.worker._key = None
    window.recognise("page")
    wait_done(qtbot, window)
    assert dialogs[-1][0] == "warning" and "out of memory" in dialogs[-1][2]
    assert window.act.recognise_page.isEnabled(), "the window recovers from a failed job"
