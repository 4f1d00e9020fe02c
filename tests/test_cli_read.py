"""`unitext read` end to end with the in-session tiny model, and its errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.support.tiny_model import render_word
from unitext_app.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def page(tmp_path: Path) -> tuple[Path, list[str]]:
    """A page with two words at known places: 'Paris' at (20,20), 'THE' at (20,100)."""
    canvas = np.full((180, 320), 235, np.uint8)
    boxes = []
    for word, (x, y) in (("Paris", (20, 20)), ("THE", (20, 100))):
        crop = render_word(word, size=30)
        canvas[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
        boxes.append(f"{x},{y},{crop.shape[1]},{crop.shape[0]}")
    path = tmp_path / "page.png"
    Image.fromarray(canvas).save(path)
    return path, boxes


def test_reads_boxes_as_text_and_json(page, tiny_model_path: Path, capsys) -> None:
    path, boxes = page
    args = ["read", str(path), "--model", str(tiny_model_path), "--device", "cpu"]
    for b in boxes:
        args += ["--box", b]
    assert main(args) == 0
    assert capsys.readouterr().out.split() == ["Paris", "THE"]
    assert main(args + ["--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    texts = [r["text"] for p in data["pages"] for r in p["regions"]]
    assert texts == ["Paris", "THE"]


def test_whole_image_when_no_box(tmp_path: Path, tiny_model_path: Path, capsys) -> None:
    path = tmp_path / "word.png"
    Image.fromarray(render_word("letter", size=30)).save(path)
    assert main(["read", str(path), "--model", str(tiny_model_path)]) == 0
    assert capsys.readouterr().out.strip() == "letter"


def test_errors_and_exit_codes(page, tmp_path: Path, tiny_model_path: Path, capsys) -> None:
    path, boxes = page
    model = ["--model", str(tiny_model_path)]
    # A region outside the image: reported, the other region still read, exit 1.
    assert main(["read", str(path), "--box", boxes[0], "--box", "900,900,10,10", *model]) == 1
    out = capsys.readouterr()
    assert out.out.split() == ["Paris"] and "outside" in out.err
    # A missing file and a corrupt one: named, exit 1, the good image still read.
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff not really a jpeg")
    assert main(["read", str(tmp_path / "nope.png"), str(corrupt), str(path), "--box", boxes[1], *model]) == 1
    out = capsys.readouterr()
    assert "nope.png" in out.err and "corrupt.jpg" in out.err and out.out.split() == ["THE"]
    # Usage errors: exit 2.
    assert main(["read", str(path), "--box", "1,2,3", *model]) == 2
    assert main(["read", str(path), "--format", "docx", *model]) == 2
    assert main(["read", str(path), "--format", "pdf", *model]) == 2
    assert main(["read"]) == 2
    # A broken model file: exit 1 with its name.
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"garbage")
    assert main(["read", str(path), "--model", str(broken)]) == 1
    assert "broken.pt" in capsys.readouterr().err


def test_missing_default_model_says_what_to_do(page, tmp_path: Path, monkeypatch, capsys) -> None:
    import engine.recognizer
    import engine.resources

    missing = tmp_path / "models" / "unitext-student.pt"
    monkeypatch.delenv("UNITEXT_MODEL", raising=False)
    for module in (engine.recognizer, engine.resources):
        monkeypatch.setattr(module, "default_model_path", lambda: missing)
    assert main(["read", str(page[0])]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "--model FILE" in err and "UNITEXT_MODEL" in err


def test_pdf_and_page_xml_outputs(page, tmp_path: Path, tiny_model_path: Path) -> None:
    path, boxes = page
    pdf = tmp_path / "out.pdf"
    args = ["read", str(path), "--box", boxes[0], "--model", str(tiny_model_path)]
    assert main(args + ["--format", "pdf", "-o", str(pdf)]) == 0
    from pypdf import PdfReader
    assert "Paris" in PdfReader(str(pdf)).pages[0].extract_text()
    xml = tmp_path / "out.page.xml"
    assert main(args + ["-o", str(xml), "--format", "page"]) == 0
    assert "Paris" in xml.read_text(encoding="utf-8")


def test_version_and_help_in_a_real_process() -> None:
    out = subprocess.run([sys.executable, "-m", "unitext_app", "--version"], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("UniText ")
    out = subprocess.run([sys.executable, "-m", "unitext_app", "read", "/no/such.png",
                          "--model", "/no/model.pt"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1 and "model.pt" in out.stderr
