"""`unitext train pipeline --preset smoke`: the whole chain (caches, both teachers, the
distilled student, evaluation) runs from nothing on rendered stand-in data, and resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_ablation import LINES, WORDS, _folder
from training.cli import train_main


@pytest.mark.slow
def test_smoke_pipeline_runs_end_to_end(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _folder(data, "train-scene-words", WORDS, 4)
    _folder(data, "train-hw-lines", LINES, 4)
    _folder(data, "scene-svt", WORDS, 1)
    _folder(data, "hw-poilus-lines", LINES, 1)
    out = tmp_path / "pipe"
    args = ["pipeline", "--preset", "smoke", "--out", str(out), "--shared-data", str(data),
            "--device", "cpu"]
    assert train_main(args) == 0
    for run in ("teacher-scene", "teacher-handwriting", "student"):
        assert (out / run / "model.pt").is_file()
    config = json.loads((out / "student" / "run_config.json").read_text())
    assert set(config["teachers"]) == {"scene", "handwriting"}
    summary = json.loads((out / "student-eval" / "summary.json").read_text())
    assert {"scene-svt", "hw-poilus-lines", "pooled-scene", "pooled-handwriting"} <= set(summary)
    # Everything is done: a second call trains nothing more and evaluates again.
    before = (out / "student" / "last.pt").stat().st_mtime
    assert train_main(args) == 0
    assert (out / "student" / "last.pt").stat().st_mtime == before
