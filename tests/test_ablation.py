"""`unitext train ablation` end to end at a toy budget on rendered data: every kind of row
(teacher, two-stage, multitask, distilled) trains, is scored and lands in the tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PIL import Image

from tests.support.tiny_model import render_word
from training.cli import train_main
from training.quick import train_on_samples

WORDS = ["THE", "POND", "Thai", "OCR", "Paris", "1850"]
LINES = ["une lettre de Paris", "my dear friend", "le 12 mai 1916", "yours truly"]


def _folder(root: Path, name: str, texts: list[str], copies: int) -> Path:
    folder = root / name
    (folder / "images").mkdir(parents=True)
    rows = []
    for i in range(copies):
        for j, t in enumerate(texts):
            f = f"images/{i}_{j}.png"
            Image.fromarray(render_word(t, size=22 + 2 * i)).save(folder / f)
            rows.append(f"{f}\t{t}")
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_ablation_rows_and_tables(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _folder(data, "train-scene-words", WORDS, 4)
    _folder(data, "train-hw-lines", LINES, 4)
    _folder(data, "scene-iiit5k", WORDS, 1)
    _folder(data, "hw-hooker-lines", LINES, 1)
    from training.data.samples import Sample
    teachers = {}
    for domain, texts in (("scene", WORDS), ("handwriting", LINES)):
        samples = [Sample(render_word(t), t, domain, t) for t in texts]
        teachers[domain] = train_on_samples(samples, tmp_path / f"t-{domain}", steps=20, batch_size=4)
    out = tmp_path / "ablation"
    args = ["ablation", "--out", str(out), "--shared-data", str(data),
            "--data", f"scene={data / 'train-scene-words'}", "--data", f"handwriting={data / 'train-hw-lines'}",
            "--no-synth", "--preset", "tiny", "--steps", "3", "--batch-size", "4", "--val-every", "3",
            "--val-size", "2", "--workers", "0", "--device", "cpu",
            "--scene-teacher", str(teachers["scene"]), "--hw-teacher", str(teachers["handwriting"]),
            "--rows", "teacher-scene,two-stage,multitask,full,full-no-affinity"]
    assert train_main(args) == 0
    table = (out / "results.md").read_text(encoding="utf-8")
    for row in ("teacher-scene", "two-stage", "multitask", "full", "full-no-affinity", "paper"):
        assert f"| {row}" in table
    with (out / "results.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["row"] for r in rows] == ["teacher-scene", "two-stage", "multitask", "full", "full-no-affinity"]
    routing = float(rows[1]["routing acc"])
    assert 0.0 <= routing <= 1.0
    assert rows[2]["routing acc"] == ""
    # Resumable: a second call re-uses every finished row instead of training again.
    mtime = (out / "full" / "result.json").stat().st_mtime
    assert train_main(args) == 0
    assert (out / "full" / "result.json").stat().st_mtime == mtime


def test_a_row_stopped_early_is_not_scored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row whose training stopped on a signal or time limit (it returns normally) must not be
    scored and recorded as done: the next call resumes it instead."""
    import training.runs

    data = tmp_path / "data"
    _folder(data, "train-scene-words", WORDS, 1)
    _folder(data, "train-hw-lines", LINES, 1)
    monkeypatch.setattr(training.runs, "run_training", lambda run, cfg: {})  # "stopped" at once
    out = tmp_path / "ablation"
    args = ["ablation", "--out", str(out), "--shared-data", str(data),
            "--data", f"scene={data / 'train-scene-words'}", "--data", f"handwriting={data / 'train-hw-lines'}",
            "--no-synth", "--preset", "tiny", "--steps", "3", "--device", "cpu",
            "--scene-teacher", "unused.pt", "--hw-teacher", "unused.pt", "--rows", "multitask"]
    with pytest.raises(SystemExit, match="multitask stopped before step 3"):
        train_main(args)
    assert not (out / "multitask" / "result.json").exists()
