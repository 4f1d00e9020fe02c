"""Render docs/screenshots/main-window.png: the real window with the bundled sample photo,
a few regions of each kind read by the bundled model, and one misreading corrected by hand.

    xvfb-run -a -s "-screen 0 1680x1050x24" .venv/bin/python tests/gui/make_screenshot.py [out.png]

``--fake`` reads with the test suite's stand-in instead (ground truth with a few doubtful
characters), for checking the layout without the model.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main(out: str, with_hint: bool = False, fake: bool = False) -> None:
    import tempfile

    tmp = tempfile.mkdtemp()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)

    from engine.geometry import PolygonRegion, RotatedRectRegion
    from gui_helpers import FakePrediction
    from unitext_app.document import TextRegion
    from unitext_app.gui.app import create_application
    from unitext_app.gui.commands import AddRegion, EditText
    from unitext_app.gui.main_window import MainWindow
    from unitext_app.samples import samples_dir

    sample = samples_dir() / "pub_the_pond.jpg"
    truths = [line.split("\t")[1] for line in sample.with_suffix(".boxes.tsv").read_text().splitlines() if "\t" in line]
    truths += ["Miranda's Kitchen", "SING TONG THAI"]

    class DemoRecognizer:
        """Reads the sample's ground truth, with a doubtful character here and there."""

        model_path = "unitext-student.pt"

        def recognize_regions(self, image, regions, batch_size=16, progress=None, should_cancel=None):
            out = []
            for i, region in enumerate(regions):
                text = truths[i] if i < len(truths) else "?"
                confs = [0.97] * len(text)
                if i in (2, 4) and text:
                    confs[len(text) // 2] = 0.31
                out.append(FakePrediction(text, 0.62 if i == 4 else 0.93, confs))
            return out

    app = create_application()
    window = MainWindow(recognizer_factory=(lambda path, device: DemoRecognizer()) if fake else None)
    window.settings.first_run_hint_dismissed = with_hint
    window.resize(1600, 960)
    window.show()
    window.open_paths([str(sample)])
    while window.page is None or window.store.image(window.page.id).full is None:
        wait(50)
    page = window.page
    from engine.geometry import RectRegion
    for line in sample.with_suffix(".boxes.tsv").read_text().splitlines():
        if "\t" in line:
            x, y, w, h = (float(v) for v in line.split("\t")[0].split(","))
            window.undo.push(AddRegion(window.doc, page.id, TextRegion(shape=RectRegion(x, y, w, h))))
    window.undo.push(AddRegion(window.doc, page.id, TextRegion(shape=RotatedRectRegion(153, 674, 178, 28, -3))))
    window.undo.push(AddRegion(window.doc, page.id, TextRegion(shape=PolygonRegion(
        ((232, 667), (303, 663), (374, 665), (374, 693), (303, 692), (232, 695))))))
    window.recognise("page")
    while window.recognition.busy:
        wait(50)
    wait(100)
    regions = page.regions
    misread = [i for i, r in enumerate(regions[:len(truths)]) if r.machine_text != truths[i]]
    for i, r in enumerate(regions):
        print(f"region {i}: read {r.machine_text!r}, truth {truths[i] if i < len(truths) else None!r}")
    fix = misread[0] if misread else 1
    window.undo.push(EditText(window.doc, page.id, regions[fix].id,
                              truths[fix] if misread else regions[fix].machine_text + " food"))
    window.selection.set([regions[misread[1] if len(misread) > 1 else 2].id])
    window.canvas.fit_to_window()
    if with_hint:
        window.show_hint()
    else:
        window.hint.hide()
    wait(400)
    window.grab().save(out)
    print("saved", out, window.size().width(), window.size().height())
    window.doc.mark_saved(str(Path(tmp) / "x.unitext.json"))
    window.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else str(REPO / "docs" / "screenshots" / "main-window.png"),
         with_hint="--hint" in sys.argv, fake="--fake" in sys.argv)
