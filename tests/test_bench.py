"""training.bench: the side-by-side benchmark on a tiny rendered set with the in-session model
(plus RapidOCR and Tesseract where installed), and the skip path for engines that cannot run."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.support.tiny_model import WORDS, render_word
from training import bench


def _write_set(folder: Path, texts: list[str]) -> Path:
    (folder / "images").mkdir(parents=True)
    rows = []
    for i, text in enumerate(texts):
        Image.fromarray(render_word(text)).convert("RGB").save(folder / "images" / f"{i}.png")
        rows.append(f"images/{i}.png\t{text}")
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _tesseract_available() -> bool:
    try:
        bench.TesseractEngine(None, 1).close()
    except bench.EngineUnavailable:
        return False
    return True


def _optional_engines() -> list[str]:
    names = []
    if importlib.util.find_spec("rapidocr") and importlib.util.find_spec("onnxruntime"):
        names.append("rapidocr")
    if _tesseract_available():
        names.append("tesseract")
    return names


@pytest.mark.slow
def test_bench_table_on_rendered_words(tiny_model_path: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    scene = _write_set(tmp_path / "scene-tiny", WORDS[:8])
    lines = _write_set(tmp_path / "hw-tiny-lines", ["Paris 1850", "THE POND", "will letter"])
    engines = ["unitext", *_optional_engines()]
    out = tmp_path / "results.md"
    rc = bench.main(["--model", str(tiny_model_path), "--sets", str(scene), str(lines),
                     str(tmp_path / "absent-set"), "--limit", "6", "--threads", "1",
                     "--engines", ",".join(engines), "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr()
    report = out.read_text(encoding="utf-8")
    assert report in printed.out
    assert "absent-set" in printed.err  # a missing set is reported, not an error

    rows = {}
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 10 and cells[0] in ("scene-tiny", "hw-tiny-lines", "[pooled scene]"):
            rows[(cells[0], cells[1])] = cells
    for engine in engines:
        for set_name, n in (("scene-tiny", 6), ("hw-tiny-lines", 3), ("[pooled scene]", 6)):
            cells = rows[(set_name, engine)]
            assert int(cells[2]) == n
            acc, acc_ci, cer, cer_ci, median, p90 = map(float, cells[3:9])
            assert 0 <= acc <= acc_ci <= 1 and cer >= 0 and cer_ci >= 0
            assert 0 < median <= p90 < 5000
    # The tiny model was trained on exactly these rendered words: it must read them.
    assert float(rows[("scene-tiny", "unitext")][4]) >= 0.5
    assert rows[("scene-tiny", "unitext")][9] != "-"  # batch-32 throughput reported
    if "rapidocr" in engines:  # a real scene-text recognizer reads clean rendered words
        assert float(rows[("scene-tiny", "rapidocr")][4]) >= 0.5
        assert "| per word crop | rapidocr |" in report
        assert "| per handwritten line | rapidocr |" in report


def test_engine_whose_import_fails_is_skipped_with_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # import rapidocr -> ImportError

    def broken(model, threads):
        import unitext_no_such_module  # noqa: F401

    monkeypatch.setitem(bench.FACTORIES, "broken", broken)
    messages: list[str] = []
    loaded, skipped = bench.load_engines(["rapidocr", "broken", "nonsense"], None, 1, messages.append)
    assert loaded == []
    assert "pip install rapidocr onnxruntime" in skipped["rapidocr"]
    assert "unitext_no_such_module" in skipped["broken"]
    assert "unknown engine" in skipped["nonsense"]
    assert len(messages) == 3 and all(m.startswith("skipped ") for m in messages)


def test_no_usable_engine_is_exit_1_not_a_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr", None)
    scene = _write_set(tmp_path / "scene-one", ["OCR"])
    assert bench.main(["--sets", str(scene), "--engines", "rapidocr", "--model",
                       str(tmp_path / "missing.pt")]) == 1
    assert "skipped rapidocr" in capsys.readouterr().err


def test_report_ratios_and_pooling() -> None:
    def row(set_name: str, domain: str, engine: str, ms: list[float]) -> bench.Row:
        r = bench.Row(set_name, domain, engine)
        for _ in ms:
            r.card.add("word", "word")
        r.times = [m / 1000 for m in ms]
        return r

    result = bench.BenchResult(
        rows=[row("scene-a", "scene", "unitext", [2, 2, 2]), row("scene-a", "scene", "rapidocr", [4, 4, 4]),
              row("scene-b", "scene", "unitext", [2]), row("scene-b", "scene", "rapidocr", [4]),
              row("hw-x", "handwriting", "unitext", [10, 10]), row("hw-x", "handwriting", "rapidocr", [5, 5])],
        engines=[], skipped={}, missing_sets=[], threads=1)
    pooled = result.pooled("unitext", "scene")
    assert pooled is not None and pooled.card.n == 4 and pooled.card.accuracy_ci == 1.0
    ratios = {what: ratio for what, _, _, ratio in result.ratios("rapidocr")}
    assert math.isclose(ratios["per word crop"], 0.5)
    assert math.isclose(ratios["per handwritten line"], 2.0)
