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
            "--device", "cpu", "--parallel-teachers"]
    assert train_main(args) == 0
    for run in ("teacher-scene/cycle-1", "teacher-handwriting/cycle-1",
                "teacher-handwriting/cycle-2", "student/cycle-1"):
        assert (out / run / "model.pt").is_file()
    assert not (out / "teacher-scene" / "cycle-2").exists()  # the smoke preset has one cycle
    # A warm restart starts from the previous cycle's best weights.
    cycle2 = json.loads((out / "teacher-handwriting" / "cycle-2" / "run_config.json").read_text())
    assert cycle2["init_from"] == str(out / "teacher-handwriting" / "cycle-1" / "best.pt")
    config = json.loads((out / "student" / "cycle-1" / "run_config.json").read_text())
    assert config["teachers"]["handwriting"] == cycle2["init_from"].replace("cycle-1", "cycle-2")
    summary = json.loads((out / "student-eval" / "summary.json").read_text())
    assert {"scene-svt", "hw-poilus-lines", "pooled-scene", "pooled-handwriting"} <= set(summary)
    # Everything is done: a second call trains nothing more and evaluates again.
    before = (out / "student" / "cycle-1" / "last.pt").stat().st_mtime
    assert train_main(args) == 0
    assert (out / "student" / "cycle-1" / "last.pt").stat().st_mtime == before


@pytest.mark.slow
def test_carried_cycle_is_not_trained_again(tmp_path: Path) -> None:
    """A finished cycle carried to a new machine as only its best.pt and log.jsonl (no
    last.pt, no caches) counts as done: the next cycle starts from it."""
    from training.pipeline import PRESETS, next_cycle, stage_output

    stage = tmp_path / "teacher-handwriting"
    plan = PRESETS["smoke"].hw_teacher
    assert next_cycle(stage, plan) == 1
    c1 = stage / "cycle-1"
    c1.mkdir(parents=True)
    (c1 / "log.jsonl").write_text(json.dumps({"event": "done", "step": plan.steps}) + "\n")
    (c1 / "best.pt").write_bytes(b"weights")
    assert next_cycle(stage, plan) == 2
    assert stage_output(stage) == c1 / "best.pt"
    (stage / "cycle-2").mkdir()
    (stage / "cycle-2" / "log.jsonl").write_text(json.dumps({"event": "done", "step": 3}) + "\n")
    assert next_cycle(stage, plan) == 2  # stopped short of its steps: not finished
