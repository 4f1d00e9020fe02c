"""``unitext train pipeline --preset shipped --out DIR``: the shipped model from nothing.

Stages, each resumable (run the same command again and it carries on where it stopped):
  1. render the synthetic caches (scene words, handwritten words and lines);
  2. train the scene-text teacher and the handwriting teacher (cross-entropy);
  3. distil the unified student from both (the paper's four losses + conditional weighting);
  4. evaluate the student on every evaluation set and write ``student-eval/summary.json``.

Each training stage is a number of *cycles* (cosine warm restarts, Loshchilov & Hutter's
SGDR): cycle k is its own run folder ``STAGE/cycle-k`` that starts from cycle k-1's best
weights with a fresh optimizer and a full warm-up/cosine schedule. A cycle is sized to fit
one working session of this project's machines, so every session ends with an annealed,
usable model, and a finished cycle needs only its small ``best.pt`` and ``log.jsonl`` to be
carried into the next session (the exact-resume ``last.pt`` matters only inside a cycle).
Installing the result as the bundled model is a separate, deliberate step
(``python -m training.ship``), taken only when the evaluation says it is better.

``--stage baseline-multitask`` trains, only when asked, the paper's multi-task baseline at
the student's own budget (same model, data, steps, cycles and starting weights; cross-entropy
and CTC only, no teachers) in ``baseline-multitask/``: what distillation is compared against.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import preset

from .distill import DistillConfig
from .loop import LoopConfig
from .recipes import DataConfig, DomainData, default_shared_data
from .runs import run_finished


BASELINE_STAGE = "baseline-multitask"  # trained only when asked for: a comparison, not the product


@dataclass
class StagePlan:
    steps: int
    batch_size: int
    lr: float = 1e-3
    val_every: int = 1000
    cycles: int = 1  # warm restarts, each from the previous cycle's best weights
    model: dict = field(default_factory=dict)  # overrides of the preset's model config


@dataclass
class PipelinePreset:
    """Budgets sized for this project's 2-core machines: measured with the two teachers
    training side by side on one thread each, a scene step (48 words) takes ~1 s and a
    handwriting step (16 lines) ~1.1 s, so one cycle of each teacher fits the ~2 training
    hours of one 3-hour session."""

    model_preset: str = "small"
    scene_cache: int = 40_000  # rendered synthetic scene words
    hw_cache: int = 16_000  # rendered synthetic handwritten words and lines
    scene_real_weight: float = 0.4
    hw_real_weight: float = 0.7
    # Two scene cycles and three handwriting cycles: the last of each gained less than the one
    # before (held-back word acc 0.708 -> 0.730; line CER 0.519 -> 0.328 -> 0.285) and the
    # student, the model that ships, needs the sessions more (training/runs/README.md).
    scene_teacher: StagePlan = field(default_factory=lambda: StagePlan(5_500, 48, cycles=2))
    # Lines need the auxiliary CTC head: without it the first 2,000 steps stayed at a
    # language model's guesses (teacher-forced character accuracy 0.36, held-back CER 1.5).
    hw_teacher: StagePlan = field(default_factory=lambda: StagePlan(
        4_000, 16, cycles=3, model={"ctc_aux": True}))
    # 1,500 steps of 32 (16 words + 16 lines) at ~0.3 steps/s (a step runs both the student
    # and a teacher on a line batch) is ~85 minutes: one cycle per session, with margin for
    # the machines' day-to-day speed.
    student: StagePlan = field(default_factory=lambda: StagePlan(
        1_500, 32, val_every=500, cycles=6, model={"ctc_aux": True}))
    # The student's first cycle starts from this domain's teacher ("" = from scratch). On 2
    # CPU cores the student cannot afford to learn scene text again from nothing: started
    # from the scene teacher it keeps most of it (held-back scene accuracy 0.67 after 300
    # steps, training/runs/ablation-small-300) and spends its steps on handwriting.
    student_init: str = "scene"
    distill: DistillConfig = field(default_factory=DistillConfig)
    workers: int = 1
    val_size: dict[str, int] = field(default_factory=lambda: {"scene": 400, "handwriting": 300})


PRESETS = {
    "shipped": PipelinePreset(),
    # Minutes, not days: proves the chain end to end (tests, a new machine).
    "smoke": PipelinePreset(model_preset="tiny", scene_cache=200, hw_cache=100,
                            scene_teacher=StagePlan(20, 8, val_every=10),
                            hw_teacher=StagePlan(20, 4, val_every=10, cycles=2,
                                                 model={"ctc_aux": True}),
                            student=StagePlan(20, 8, val_every=10), workers=0,
                            val_size={"scene": 4, "handwriting": 4}),
}


def _run_config(name: str, plan: StagePlan, p: PipelinePreset, domains: dict[str, DomainData],
                device: str, time_limit_s: float):
    from .runs import RunConfig
    loop = LoopConfig(steps=plan.steps, lr=plan.lr, val_every=plan.val_every,
                      time_limit_s=time_limit_s)
    return RunConfig(name=name, model=preset(p.model_preset, **plan.model).to_dict(), loop=loop,
                     data=DataConfig(domains=domains), batch_size=plan.batch_size, device=device,
                     workers=p.workers)


def _train_one(run: Path, cfg_dict: dict) -> None:
    import torch

    from .runs import RunConfig, run_training
    torch.set_num_threads(1)
    run_training(run, RunConfig.from_dict(cfg_dict))


def _train_rank(run: Path, cfg_dict: dict, rank: int, world: int, port: int) -> None:
    """One process of a data-parallel run (the environment torchrun would give it)."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    _train_one(run, cfg_dict)


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _train_data_parallel(run: Path, cfg, procs: int) -> None:
    """One run as ``procs`` DistributedDataParallel processes of one CPU thread each (gloo),
    each on 1/procs of the batch: for machines with more cores than one process keeps busy.
    On this project's 2-core machines it did not pay for the student (2 processes: 8.5
    samples/s; one process, two threads: 10), the ranks waiting on each other's line lengths."""
    from .runs import run_training
    if procs <= 1:
        run_training(run, cfg)
        return
    if cfg.batch_size % procs:
        raise SystemExit(f"pipeline: batch {cfg.batch_size} does not split into {procs} processes")
    cfg.batch_size //= procs  # per process: the global batch stays the plan's
    port = _free_port()
    _run_processes([((run, cfg.to_dict(), rank, procs, port), f"{run.name}/rank-{rank}")
                    for rank in range(procs)], _train_rank)


def _train_teachers(pending: list, parallel: bool, target=_train_one) -> None:
    """Both teachers one after the other, or side by side in two processes of one thread
    each (on 2 CPU cores that beats two threads per run taking turns)."""
    from .runs import run_training
    if not parallel or len(pending) < 2:
        for run, cfg in pending:
            run_training(run, cfg)
        return
    _run_processes([((run, cfg.to_dict()), f"{run.parent.name}/{run.name}")
                    for run, cfg in pending], target)


def _run_processes(jobs: list, target) -> None:
    """``target(*args)`` for each (args, name) job in its own spawned process, all at once."""
    import multiprocessing as mp
    import signal
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=target, args=args, name=name) for args, name in jobs]

    def forward(signum: int, _frame: object) -> None:
        # Each child checkpoints and stops on SIGTERM/SIGINT (training.loop); an orphaned
        # child would go on writing into a run folder the user thinks is stopped.
        for proc in procs:
            if proc.is_alive() and proc.pid:
                os.kill(proc.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    failed = [p.name for p in procs if p.exitcode not in (0, None)]
    if failed:
        raise SystemExit(f"pipeline: training failed in {failed} (see their log.jsonl)")


def cycle_dir(stage: Path, k: int) -> Path:
    return stage / f"cycle-{k}"


def cycle_output(run: Path) -> Path:
    """A cycle's model: its best weights on the held-back samples, else its latest."""
    return run / "best.pt" if (run / "best.pt").is_file() else run / "model.pt"


def cycle_number(run: Path) -> int:
    """K of a ``cycle-K`` folder; 0 for any other folder."""
    return int(run.name[6:]) if run.name.startswith("cycle-") and run.name[6:].isdigit() else 0


def stage_cycles(stage: Path) -> list[Path]:
    """The stage's cycle folders in training order."""
    return sorted((d for d in stage.glob("cycle-*") if cycle_number(d)), key=cycle_number)


def stage_output(stage: Path) -> Path:
    """The stage's model: the output of its latest cycle that holds one."""
    for run in reversed(stage_cycles(stage)):
        if cycle_output(run).is_file():
            return cycle_output(run)
    raise FileNotFoundError(f"{stage} holds no trained cycle yet")


def next_cycle(stage: Path, plan: StagePlan) -> int | None:
    """The first unfinished cycle of a stage (1-based), or None when all are done."""
    for k in range(1, plan.cycles + 1):
        if not run_finished(cycle_dir(stage, k), plan.steps):
            return k
    return None


def _cycle_config(stage: Path, k: int, cfg):
    """A warm restart: cycle k > 1 starts from cycle k-1's output."""
    if k > 1:
        cfg.init_from = str(cycle_output(cycle_dir(stage, k - 1)))
    return cfg


def check_assets(out: Path, allow_change: bool = False,
                 caches: dict[Path, int] | None = None) -> dict[str, str]:
    """The synthetic caches are rendered again on each new machine, so their fonts and text
    sources must be the ones earlier cycles trained on: record the fingerprint with the run
    and refuse a different one (e.g. ``training/assets/install.sh`` not run) unless told.
    Where every cache the run needs (``caches``: folder -> sample count) is already complete
    with the run's fingerprint, nothing will be rendered and the installed fonts do not matter."""
    from .cache import asset_fingerprint, cache_complete
    now = asset_fingerprint()
    path = out / "assets.json"
    if path.is_file():
        then = json.loads(path.read_text(encoding="utf-8"))
    else:
        # What existing caches were really rendered with, whatever was installed since.
        rendered = [json.loads(m.read_text(encoding="utf-8")).get("assets")
                    for m in sorted(out.glob("cache-*/meta.json"))]
        then = next((a for a in rendered if a), now)
        path.write_text(json.dumps(then, indent=1) + "\n", encoding="utf-8")
    if then == now:
        return now
    if caches and all(cache_complete(c, n, then) for c, n in caches.items()):
        print(f"pipeline: the installed fonts/texts ({now}) differ from the run's ({then}), "
              "but its caches are complete: nothing needs rendering", flush=True)
        return then
    if not allow_change:
        raise SystemExit(
            f"pipeline: the fonts/texts for synthetic data here ({now}) differ from those "
            f"{out} was trained with ({then}); run `bash training/assets/install.sh`, or "
            "pass --allow-asset-change to go on with these")
    path.write_text(json.dumps(now, indent=1) + "\n", encoding="utf-8")
    return now


def _train_student_like(stage: Path, name: str, p: PipelinePreset, domains: dict[str, DomainData],
                        teachers: dict[str, str], distill: DistillConfig,
                        init_teachers: dict[str, str], args: argparse.Namespace,
                        remaining) -> None:
    """Every unfinished cycle of the student's plan in ``stage``, distilled from ``teachers``
    (none: the multi-task baseline); the first cycle starts from ``p.student_init``'s teacher."""
    while (k := next_cycle(stage, p.student)) is not None:
        cfg = _run_config(f"{name}-c{k}", p.student, p, domains, args.device, remaining())
        cfg.teachers, cfg.distill = dict(teachers), distill
        cfg.data.domain_weights = {"scene": 0.5, "handwriting": 0.5}
        if k == 1 and p.student_init:
            cfg.init_from = init_teachers[p.student_init]
        run = cycle_dir(stage, k)
        _train_data_parallel(run, _cycle_config(stage, k, cfg), getattr(args, "student_procs", 1))
        if not run_finished(run, p.student.steps):
            raise SystemExit(f"pipeline: stopped during {stage.name}/{run.name}; run again to resume")


def main(args: argparse.Namespace) -> int:
    from .cache import render_cache

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
    check_assets(out, getattr(args, "allow_asset_change", False),
                 {caches["scene"]: p.scene_cache, caches["handwriting"]: p.hw_cache})
    # Content depends only on (spec, seed, index), never on the number of workers.
    render_workers = max(1, min(os.cpu_count() or 1, 8)) if p.workers else 1
    render_cache(caches["scene"], "scene", p.scene_cache, seed=0, workers=render_workers)
    remaining()
    render_cache(caches["handwriting"], "handwriting:mixed", p.hw_cache, seed=0,
                 workers=render_workers)
    scene = DomainData.defaults("scene", shared)
    scene.synth_cache, scene.real_weight = str(caches["scene"]), p.scene_real_weight
    scene.val_size = p.val_size["scene"]
    hand = DomainData.defaults("handwriting", shared)
    hand.synth_cache, hand.real_weight = str(caches["handwriting"]), p.hw_real_weight
    hand.val_size = p.val_size["handwriting"]

    only = getattr(args, "stage", None)
    teacher_plans = {d: plan for d, plan in (("scene", (p.scene_teacher, scene)),
                                             ("handwriting", (p.hw_teacher, hand)))
                     if only in (None, f"teacher-{d}")}
    while True:  # one cycle of each unfinished teacher at a time (side by side if asked)
        pending = []
        for domain, (plan, spec) in teacher_plans.items():
            stage = out / f"teacher-{domain}"
            k = next_cycle(stage, plan)
            if k is not None:
                cfg = _run_config(f"teacher-{domain}-c{k}", plan, p, {domain: spec},
                                  args.device, remaining())
                pending.append((cycle_dir(stage, k), _cycle_config(stage, k, cfg)))
        if not pending:
            break
        _train_teachers(pending, parallel=getattr(args, "parallel_teachers", False))
        for run, cfg in pending:
            if not run_finished(run, cfg.loop.steps):
                raise SystemExit(f"pipeline: stopped during {run.parent.name}/{run.name}; "
                                 "run again to resume")
    if only is not None and only not in ("student", BASELINE_STAGE):
        print(f"pipeline: {only} is done")
        return 0
    teachers = {d: str(stage_output(out / f"teacher-{d}")) for d in ("scene", "handwriting")}
    domains = {"scene": scene, "handwriting": hand}
    if only == BASELINE_STAGE:
        # The paper's multi-task baseline at the student's own budget: the same model, data,
        # steps, cycles and starting weights, cross-entropy (+ CTC) only, no teachers.
        from .ablation import distill_for
        _train_student_like(out / BASELINE_STAGE, "baseline-multitask", p, domains, {},
                            distill_for("multitask", p.distill), teachers, args, remaining)
        print(f"pipeline: {BASELINE_STAGE} is done: {stage_output(out / BASELINE_STAGE)}")
        return 0
    stage = out / "student"
    _train_student_like(stage, "student", p, domains, teachers, p.distill, teachers, args,
                        remaining)

    from engine.recognizer import Recognizer

    from .ablation import EVAL_SETS
    from .evaluate import evaluate_set, format_table, write_predictions
    student = stage_output(stage)
    recognizer = Recognizer.load(student, device=args.device)
    results = [evaluate_set(recognizer, shared / name, args.eval_limit) for name in EVAL_SETS
               if (shared / name / "labels.tsv").is_file()]
    write_predictions(results, out / "student-eval")
    print(format_table(results))
    print(f"student model: {student}")
    return 0
