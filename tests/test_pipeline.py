"""`unitext train pipeline --preset smoke`: the whole chain (caches, both teachers, the
distilled student, evaluation) runs from nothing on rendered stand-in data, and resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_ablation import LINES, WORDS, _folder
from training.cli import train_main
from training.pipeline import PRESETS


@pytest.mark.slow
def test_smoke_pipeline_runs_end_to_end(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _folder(data, "train-scene-words", WORDS, 4)
    _folder(data, "train-hw-lines", LINES, 4)
    _folder(data, "scene-svt", WORDS, 1)
    _folder(data, "hw-poilus-lines", LINES, 1)
    out = tmp_path / "pipe"
    args = ["pipeline", "--preset", "smoke", "--out", str(out), "--shared-data", str(data),
            "--device", "cpu", "--parallel-teachers", "--student-procs", "2"]
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
    assert config["init_from"] == config["teachers"]["scene"]  # the student starts from it
    # Two data-parallel processes, each on half of the plan's batch.
    assert config["batch_size"] == PRESETS["smoke"].student.batch_size // 2
    start = json.loads((out / "student" / "cycle-1" / "log.jsonl").read_text().splitlines()[0])
    assert start["event"] == "start" and start["world_size"] == 2
    summary = json.loads((out / "student-eval" / "summary.json").read_text())
    assert {"scene-svt", "hw-poilus-lines", "pooled-scene", "pooled-handwriting"} <= set(summary)
    # Everything is done: a second call trains nothing more and evaluates again.
    before = (out / "student" / "cycle-1" / "last.pt").stat().st_mtime
    assert train_main(args) == 0
    assert (out / "student" / "cycle-1" / "last.pt").stat().st_mtime == before
    # The multi-task baseline, only when asked: the student's plan and start, no teachers.
    assert not (out / "baseline-multitask").exists()
    assert train_main([*args, "--stage", "baseline-multitask"]) == 0
    base = json.loads((out / "baseline-multitask" / "cycle-1" / "run_config.json").read_text())
    assert base["teachers"] == {} and base["init_from"] == config["init_from"]
    assert base["loop"]["steps"] == config["loop"]["steps"]
    assert base["distill"]["w_ctc"] == config["distill"]["w_ctc"]
    assert all(base["distill"][k] == 0 for k in ("w_logits", "w_hint", "w_attention",
                                                 "w_affinity", "conditional_strength"))
    assert (out / "baseline-multitask" / "cycle-1" / "model.pt").is_file()


@pytest.mark.slow
def test_carried_cycle_is_not_trained_again(tmp_path: Path) -> None:
    """A finished cycle carried to a new machine as only its best.pt and log.jsonl (no
    last.pt, no caches) counts as done: the next cycle starts from it."""
    from training.pipeline import next_cycle, stage_output

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


class _Cfg:
    def to_dict(self) -> dict:
        return {}


def test_stopping_the_pipeline_stops_both_teacher_processes(tmp_path: Path) -> None:
    """SIGTERM to the pipeline reaches the side-by-side teacher processes (each checkpoints
    and stops) instead of leaving them running, orphaned, in the run folders."""
    import os
    import signal
    import threading
    import time

    from tests.support.signalled_child import wait_for_sigterm
    from training.pipeline import _train_teachers

    runs = [tmp_path / "teacher-scene" / "cycle-1", tmp_path / "teacher-handwriting" / "cycle-1"]

    def stop_when_started() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all((r / "started").exists() for r in runs):
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=stop_when_started, daemon=True).start()
    _train_teachers([(r, _Cfg()) for r in runs], parallel=True, target=wait_for_sigterm)
    for run in runs:
        assert (run / "stopped-by-signal").exists(), run
    assert signal.getsignal(signal.SIGTERM) == before  # the pipeline's own handler is gone


def test_other_synthetic_assets_are_refused_unless_allowed(tmp_path: Path, monkeypatch) -> None:
    import training.cache
    from training.pipeline import check_assets

    monkeypatch.setattr(training.cache, "asset_fingerprint", lambda: {"fonts": "a", "text": "t"})
    assert check_assets(tmp_path) == {"fonts": "a", "text": "t"}
    assert check_assets(tmp_path) == {"fonts": "a", "text": "t"}  # same again: fine
    monkeypatch.setattr(training.cache, "asset_fingerprint", lambda: {"fonts": "b", "text": "t"})
    with pytest.raises(SystemExit, match="install.sh"):
        check_assets(tmp_path)
    assert check_assets(tmp_path, allow_change=True)["fonts"] == "b"
    assert json.loads((tmp_path / "assets.json").read_text())["fonts"] == "b"


def test_assets_of_existing_caches_are_the_reference(tmp_path: Path, monkeypatch) -> None:
    """Fonts installed after the caches were rendered do not become the run's reference."""
    import training.cache
    from training.pipeline import check_assets

    (tmp_path / "cache-scene").mkdir()
    (tmp_path / "cache-scene" / "meta.json").write_text(json.dumps({"assets": {"fonts": "old"}}))
    monkeypatch.setattr(training.cache, "asset_fingerprint", lambda: {"fonts": "new"})
    with pytest.raises(SystemExit):
        check_assets(tmp_path)
    assert json.loads((tmp_path / "assets.json").read_text()) == {"fonts": "old"}


def test_complete_caches_need_no_matching_fonts(tmp_path: Path, monkeypatch) -> None:
    """Fonts installed after rendering do not block training on caches that are complete,
    but do block a cache that still needs rendering."""
    import training.cache
    from training.cache import render_cache
    from training.pipeline import check_assets

    monkeypatch.setattr(training.cache, "asset_fingerprint", lambda: {"fonts": "old", "text": "t"})
    cache = tmp_path / "cache-scene"
    render_cache(cache, "scene", 3, seed=0, workers=1)
    assert check_assets(tmp_path, caches={cache: 3}) == {"fonts": "old", "text": "t"}
    monkeypatch.setattr(training.cache, "asset_fingerprint", lambda: {"fonts": "new", "text": "t"})
    assert check_assets(tmp_path, caches={cache: 3}) == {"fonts": "old", "text": "t"}
    with pytest.raises(SystemExit, match="install.sh"):
        check_assets(tmp_path, caches={cache: 4})  # one more sample to render
    (cache / "shard-00000.idx.npy").unlink()
    with pytest.raises(SystemExit, match="install.sh"):
        check_assets(tmp_path, caches={cache: 3})
