"""``unitext train pipeline --preset shipped --out DIR``: the shipped model from nothing.

Stages, each resumable (run the same command again and it carries on where it stopped):
  1. render the synthetic caches (scene words, handwritten words and lines);
  2. train the scene-text teacher and the handwriting teacher (cross-entropy);
  3. distil the unified student from both (the paper's four losses + conditional weighting);
  4. evaluate the student on every evaluation set and write ``student-eval/summary.json``.
Installing the result as the bundled model is a separate, deliberate step
(``python -m training.ship``), taken only when the evaluation says it is better.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import preset

from .distill import DistillConfig
from .loop import LoopConfig
from .recipes import DataConfig, DomainData, default_shared_data


@dataclass
class StagePlan:
    steps: int
    batch_size: int
    lr: float = 1e-3
    val_every: int = 1000


@dataclass
class PipelinePreset:
    model_preset: str = "small"
    scene_cache: int = 120_000  # rendered synthetic scene words
    hw_cache: int = 40_000  # rendered synthetic handwritten words and lines
    scene_real_weight: float = 0.4
    hw_real_weight: float = 0.7
    scene_teacher: StagePlan = field(default_factory=lambda: StagePlan(60_000, 48))
    hw_teacher: StagePlan = field(default_factory=lambda: StagePlan(40_000, 16))
    student: StagePlan = field(default_factory=lambda: StagePlan(60_000, 32))
    distill: DistillConfig = field(default_factory=DistillConfig)
    workers: int = 1
    val_size: dict[str, int] = field(default_factory=lambda: {"scene": 400, "handwriting": 300})


PRESETS = {
    "shipped": PipelinePreset(),
    # Minutes, not days: proves the chain end to end (tests, a new machine).
    "smoke": PipelinePreset(model_preset="tiny", scene_cache=200, hw_cache=100,
                            scene_teacher=StagePlan(20, 8, val_every=10),
                            hw_teacher=StagePlan(20, 4, val_every=10),
                            student=StagePlan(20, 8, val_every=10), workers=0,
                            val_size={"scene": 4, "handwriting": 4}),
}


def _run_config(name: str, plan: StagePlan, p: PipelinePreset, domains: dict[str, DomainData],
                device: str, time_limit_s: float):
    from .runs import RunConfig
    loop = LoopConfig(steps=plan.steps, lr=plan.lr, val_every=plan.val_every,
                      time_limit_s=time_limit_s)
    return RunConfig(name=name, model=preset(p.model_preset).to_dict(), loop=loop,
                     data=DataConfig(domains=domains), batch_size=plan.batch_size, device=device,
                     workers=p.workers)


def _done(run: Path, steps: int) -> bool:
    log = run / "log.jsonl"
    if not log.is_file():
        return False
    for line in reversed(log.read_text(encoding="utf-8").splitlines()):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("event") == "done":
            return int(rec.get("step", 0)) >= steps
    return False


def main(args: argparse.Namespace) -> int:
    from .cache import render_cache
    from .runs import run_training

    if args.pipeline_preset not in PRESETS:
        raise SystemExit(f"unknown pipeline preset {args.pipeline_preset!r}; choose from {sorted(PRESETS)}")
    p = PRESETS[args.pipeline_preset]
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    deadline = time.time() + args.time_limit * 60 if args.time_limit else None
    shared = getattr(args, "shared_data", None) or default_shared_data()

    def remaining() -> float:
        if deadline is None:
            return 0.0
        left = deadline - time.time()
        if left <= 60:
            raise SystemExit("pipeline: time limit reached; run the same command again to resume")
        return left

    caches = {"scene": out / "cache-scene", "handwriting": out / "cache-hw"}
    render_cache(caches["scene"], "scene", p.scene_cache, seed=0, workers=max(1, p.workers))
    remaining()
    render_cache(caches["handwriting"], "handwriting:mixed", p.hw_cache, seed=1, workers=max(1, p.workers))
    scene = DomainData.defaults("scene", shared)
    scene.synth_cache, scene.real_weight = str(caches["scene"]), p.scene_real_weight
    scene.val_size = p.val_size["scene"]
    hand = DomainData.defaults("handwriting", shared)
    hand.synth_cache, hand.real_weight = str(caches["handwriting"]), p.hw_real_weight
    hand.val_size = p.val_size["handwriting"]

    teachers = {}
    for domain, plan, spec in (("scene", p.scene_teacher, scene), ("handwriting", p.hw_teacher, hand)):
        run = out / f"teacher-{domain}"
        if not _done(run, plan.steps):
            run_training(run, _run_config(f"teacher-{domain}", plan, p, {domain: spec},
                                          args.device, remaining()))
            if not _done(run, plan.steps):
                raise SystemExit(f"pipeline: stopped during teacher-{domain}; run again to resume")
        teachers[domain] = str(run / "best.pt" if (run / "best.pt").exists() else run / "model.pt")

    run = out / "student"
    if not _done(run, p.student.steps):
        cfg = _run_config("student", p.student, p, {"scene": scene, "handwriting": hand},
                          args.device, remaining())
        cfg.teachers, cfg.distill = teachers, p.distill
        cfg.data.domain_weights = {"scene": 0.5, "handwriting": 0.5}
        run_training(run, cfg)
        if not _done(run, p.student.steps):
            raise SystemExit("pipeline: stopped during the student; run again to resume")

    from engine.recognizer import Recognizer

    from .ablation import EVAL_SETS
    from .evaluate import evaluate_set, format_table, write_predictions
    student = run / "best.pt" if (run / "best.pt").exists() else run / "model.pt"
    recognizer = Recognizer.load(student, device=args.device)
    results = [evaluate_set(recognizer, shared / name, args.eval_limit) for name in EVAL_SETS
               if (shared / name / "labels.tsv").is_file()]
    write_predictions(results, out / "student-eval")
    print(format_table(results))
    print(f"student model: {student}")
    return 0
