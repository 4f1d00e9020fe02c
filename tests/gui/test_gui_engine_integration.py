"""The real engine behind the window: the default factory loads a model file in the worker
thread (the only place torch is imported for the GUI) and its readings land in the document.

The model here is an untrained tiny one, so only the plumbing is checked, not the text.
"""

from __future__ import annotations

import pytest

from engine.geometry import RectRegion
from unitext_app.document import TextRegion
from unitext_app.gui.commands import AddRegion

from gui_helpers import open_and_wait

pytestmark = pytest.mark.gui


@pytest.fixture
def tiny_model(tmp_path):
    torch = pytest.importorskip("torch")
    from engine.charset import Charset
    from engine.checkpoint import save_model
    from engine.config import preset
    from engine.model import TextRecognizer

    torch.manual_seed(0)
    charset = Charset()
    model = TextRecognizer(preset("tiny", num_classes=charset.num_classes, max_length=8)).eval()
    path = tmp_path / "tiny-untrained.pt"
    save_model(path, model, charset, {"note": "untrained, for GUI plumbing tests"})
    return path


def test_default_factory_reads_with_a_real_model_file(qtbot, image_file, tiny_model):
    from unitext_app.gui.main_window import MainWindow

    window = MainWindow()  # the default factory: engine.recognizer.Recognizer.load
    qtbot.addWidget(window)
    window.settings.model_path = str(tiny_model)
    window.settings.device = "cpu"
    window.show()
    open_and_wait(qtbot, window, image_file)
    for y in (40, 130):
        window.undo.push(AddRegion(window.doc, window.page.id, TextRegion(shape=RectRegion(40, y, 540, 30))))
    assert window.recognise("page")
    qtbot.waitUntil(lambda: not window.recognition.busy and window._job is None, timeout=60000)
    for region in window.page.regions:
        assert isinstance(region.machine_text, str)
        assert 0.0 <= region.confidence <= 1.0
        assert len(region.char_confidences) == len(region.machine_text)
        assert region.model == "tiny-untrained.pt"
    assert window.undo.undoText() == "Recognise 2 regions"
    window.close()


def test_a_trained_model_reads_drawn_regions_in_the_worker_thread(qtbot, tmp_path, tiny_model_path):
    """Draw regions over rendered words, recognise through the default factory with the
    model trained in this session, and find the right words in the document and the list."""
    import numpy as np
    from PIL import Image

    from tests.support.tiny_model import render_word
    from unitext_app.gui.main_window import MainWindow

    canvas = np.full((220, 420), 235, np.uint8)
    boxes = []
    for word, (x, y) in (("Paris", (30, 30)), ("letter", (30, 120))):
        crop = render_word(word, size=30)
        canvas[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
        boxes.append((word, RectRegion(x, y, crop.shape[1], crop.shape[0])))
    page_path = tmp_path / "words.png"
    Image.fromarray(canvas).save(page_path)

    window = MainWindow()
    qtbot.addWidget(window)
    window.settings.model_path = str(tiny_model_path)
    window.settings.device = "cpu"
    window.show()
    open_and_wait(qtbot, window, page_path)
    for _, shape in boxes:
        window.undo.push(AddRegion(window.doc, window.page.id, TextRegion(shape=shape)))
    assert window.recognise("page")
    qtbot.waitUntil(lambda: not window.recognition.busy and window._job is None, timeout=60000)
    assert [r.machine_text for r in window.page.regions] == [w for w, _ in boxes]
    assert all(r.corrected_text is None for r in window.page.regions)
    window.close()
