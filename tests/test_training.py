"""Training: the loss goes down, an interrupted run resumes exactly, and two processes train
together through DistributedDataParallel with the gloo backend (as torchrun on CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from engine.checkpoint import load_model
from tests.support.tiny_model import training_samples
from training.plot import plot_run, read_log
from training.quick import train_on_samples

REPO = Path(__file__).resolve().parents[1]


def _train_log(run: Path) -> list[dict]:
    return [r for r in read_log(run) if r.get("event") == "train"]


def test_a_few_steps_lower_the_loss(tmp_path: Path) -> None:
    train_on_samples(training_samples(2), tmp_path, steps=60, batch_size=8)
    losses = [r["loss"] for r in _train_log(tmp_path)]
    assert len(losses) >= 2 and losses[-1] < 0.7 * losses[0], losses
    assert (tmp_path / "config.json").is_file() and (tmp_path / "last.pt").is_file()
    png = plot_run(tmp_path)
    assert png.stat().st_size > 10_000


def test_auxiliary_ctc_is_trained_and_logged(tmp_path: Path) -> None:
    model = train_on_samples(training_samples(2), tmp_path, steps=40, batch_size=8, ctc_aux=True)
    records = _train_log(tmp_path)
    ctc = [r["ctc"] for r in records]
    assert len(ctc) >= 2 and ctc[-1] < 0.8 * ctc[0], ctc
    assert all(r["loss"] > r["ce"] for r in records)  # the total holds the CTC term
    loaded = load_model(model)[0]
    assert loaded.config.ctc_aux and loaded.ctc_head is not None


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_model(path)[0].state_dict()


def test_resume_after_interrupt_equals_uninterrupted(tmp_path: Path) -> None:
    samples = training_samples(2)
    straight = train_on_samples(samples, tmp_path / "a", steps=24, batch_size=6, seed=3)
    train_on_samples(samples, tmp_path / "b", steps=24, batch_size=6, seed=3, stop_at_step=11)
    events = [r["event"] for r in read_log(tmp_path / "b")]
    assert "stopped" in events
    resumed = train_on_samples(samples, tmp_path / "b", steps=24, batch_size=6, seed=3)
    assert "resume" in [r["event"] for r in read_log(tmp_path / "b")]
    a, b = _weights(straight), _weights(resumed)
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.fixture()
def word_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "words"
    (folder / "images").mkdir(parents=True)
    rows = []
    for i, s in enumerate(training_samples(3)):
        Image.fromarray(s.image).save(folder / "images" / f"{i}.png")
        rows.append(f"images/{i}.png\t{s.text}")
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _torchrun(args: list[str], nproc: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "unitext_app", *args]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_two_process_ddp_teacher_run_and_resume(word_folder: Path, tmp_path: Path) -> None:
    run = tmp_path / "ddp-run"
    common = ["train", "teacher", "--domain", "scene", "--data", f"scene={word_folder}", "--no-synth",
              "--preset", "tiny", "--batch-size", "8", "--val-every", "3", "--val-size", "6",
              "--log-every", "2", "--device", "cpu", "--workers", "0", "--out", str(run)]
    out = _torchrun(common + ["--steps", "6"], 2)
    assert out.returncode == 0, out.stderr[-3000:]
    log = read_log(run)
    start = next(r for r in log if r["event"] == "start")
    assert start["world_size"] == 2
    assert any(r["event"] == "val" for r in log) and log[-1]["event"] == "done"
    _, _, meta = load_model(run / "model.pt")
    assert meta["step"] == 6
    blob = torch.load(run / "last.pt", weights_only=True)
    assert len(json.loads(blob["data"])) == 2  # one data position per process
    out = _torchrun(common + ["--steps", "8"], 2)
    assert out.returncode == 0, out.stderr[-3000:]
    assert [r["event"] for r in read_log(run)].count("resume") == 1
    assert load_model(run / "model.pt")[2]["step"] == 8
