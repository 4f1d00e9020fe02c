"""`python -m training.ship`: a candidate is installed as the bundled model only when its
evaluation is better, and its model card is written from that evaluation and the run's logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.checkpoint import load_model, read_model_file, save_model
from engine.model import TextRecognizer
from tests.test_ablation import LINES, WORDS, _folder
from training import ship


def _cycle(root: Path, stage: str, steps: int, batch: int, seconds: float) -> Path:
    run = root / stage / "cycle-1"
    run.mkdir(parents=True)
    (run / "run_config.json").write_text(json.dumps({"batch_size": batch, "loop": {"steps": steps}}))
    (run / "log.jsonl").write_text("\n".join(json.dumps(r) for r in (
        {"event": "train", "step": steps, "elapsed_s": seconds}, {"event": "done", "step": steps})))
    return run


@pytest.fixture()
def setup(tiny_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    data = tmp_path / "data"
    _folder(data, "scene-svt", WORDS, 1)
    _folder(data, "hw-poilus-lines", LINES, 1)
    root = tmp_path / "run"
    _cycle(root, "teacher-scene", 100, 48, 3600)
    _cycle(root, "teacher-handwriting", 200, 16, 1800)
    candidate = _cycle(root, "student", 50, 32, 900) / "best.pt"
    candidate.write_bytes(tiny_model_path.read_bytes())
    monkeypatch.setattr(ship, "resources_dir", lambda: tmp_path / "resources")
    return data, candidate, tmp_path / "resources" / "models"


def test_candidate_is_installed_with_its_card(setup, tmp_path: Path) -> None:
    data, candidate, models = setup
    bench = tmp_path / "bench.md"
    bench.write_text("# UniText vs peers, measured together\n\n## Per set\n\n| a | b |\n")
    notes = tmp_path / "notes.md"
    notes.write_text("- Reads `rn` as `m` in cursive.\n")
    assert ship.main([str(candidate), "--shared-data", str(data), "--bench", str(bench),
                      "--notes", str(notes)]) == 0
    installed = models / ship.DEFAULT_MODEL_NAME
    weights = read_model_file(installed)["state_dict"].values()
    assert all(w.dtype == torch.float16 for w in weights if w.is_floating_point())
    card = (models / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "- teacher-scene: 100 steps of 48 crops, 1.0 h" in card
    assert "- student: 50 steps of 32 crops, 0.2 h" in card
    assert "### Per set" in card and "| a | b |" in card  # the bench report, a level down
    assert "#### scene sets" in card and "#### handwriting sets" in card
    assert card.rstrip().endswith("- Reads `rn` as `m` in cursive.")
    assert f"--bench {bench} --notes {notes}" in card
    assert not list(models.glob("*.tmp.pt"))


def test_worse_candidate_is_refused_and_the_bundled_model_kept(setup, tmp_path: Path) -> None:
    data, candidate, models = setup
    assert ship.main([str(candidate), "--shared-data", str(data)]) == 0
    installed = models / ship.DEFAULT_MODEL_NAME
    before = installed.read_bytes()
    model, charset, meta = load_model(candidate)
    torch.manual_seed(0)
    untrained = tmp_path / "untrained.pt"
    save_model(untrained, TextRecognizer(model.config), charset, meta)
    assert ship.main([str(untrained), "--shared-data", str(data)]) == 1
    assert installed.read_bytes() == before
    assert not list(models.glob("*.tmp.pt"))


def test_budget_is_empty_for_a_file_outside_a_pipeline_run(tiny_model_path: Path) -> None:
    assert ship.training_budget(tiny_model_path) == []
