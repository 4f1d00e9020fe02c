"""``unitext train …`` and ``unitext eval``: argument parsing only; the work is elsewhere.

Defaults come from the config dataclasses, so the command line and the API agree.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.config import PRESETS, preset

from .distill import DistillConfig
from .loop import LoopConfig

_LOOP = LoopConfig()
_DISTILL = DistillConfig()


def _add_common(p: argparse.ArgumentParser, batch: int = 48) -> None:
    p.add_argument("--out", type=Path, required=True, help="run folder (re-run to resume)")
    p.add_argument("--preset", default="small", choices=sorted(PRESETS), help="model size")
    p.add_argument("--height", type=int, help="input height in pixels (multiple of 16)")
    p.add_argument("--ctc-aux", action="store_true",
                   help="add the auxiliary CTC head (joint CTC-attention; helps long lines align)")
    p.add_argument("--w-ctc", type=float, default=_DISTILL.w_ctc,
                   help="weight of the auxiliary CTC loss (with --ctc-aux)")
    p.add_argument("--steps", type=int, default=_LOOP.steps)
    p.add_argument("--batch-size", type=int, default=batch)
    p.add_argument("--lr", type=float, default=_LOOP.lr)
    p.add_argument("--warmup", type=int, default=_LOOP.warmup_steps)
    p.add_argument("--val-every", type=int, default=_LOOP.val_every)
    p.add_argument("--log-every", type=int, default=_LOOP.log_every)
    p.add_argument("--checkpoint-every", type=float, default=_LOOP.checkpoint_every_s,
                   help="seconds between checkpoints")
    p.add_argument("--time-limit", type=float, default=0.0,
                   help="minutes of wall time, then checkpoint and stop (resume later)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--no-amp", action="store_true", help="no bfloat16 autocast on GPU")
    p.add_argument("--shared-data", type=Path, help="the shared/data folder (default ../shared/data)")
    p.add_argument("--synth-cache", action="append", default=[], metavar="DOMAIN=DIR",
                   help="rendered synthetic cache for a domain, e.g. scene=cache/scene")
    p.add_argument("--real-weight", action="append", default=[], metavar="DOMAIN=W",
                   help="share of real samples in a domain's draws, e.g. handwriting=0.7")
    p.add_argument("--val-size", type=int, help="held-back real samples per domain")
    p.add_argument("--data", action="append", default=[], metavar="DOMAIN=DIR",
                   help="real training folder(s) for a domain, replacing the default shared set")
    p.add_argument("--no-synth", action="store_true", help="real data only")
    p.add_argument("--workers", type=int, default=1, help="data-preparation processes per domain")
    p.add_argument("--init-from", type=Path, help="start from this model file's weights")


def _add_distill(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scene-teacher", type=Path, required=True)
    p.add_argument("--hw-teacher", type=Path, required=True)
    p.add_argument("--scene-ratio", type=float, default=0.5, help="share of scene samples per batch")
    for name in ("ce", "logits", "hint", "attention", "affinity"):
        p.add_argument(f"--w-{name}", type=float, default=getattr(_DISTILL, f"w_{name}"))
    p.add_argument("--temperature", type=float, default=_DISTILL.temperature)
    p.add_argument("--conditional", type=float, default=_DISTILL.conditional_strength,
                   help="conditional distillation strength omega (0 = off)")


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"{flag} expects DOMAIN=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def run_config_from_args(args: argparse.Namespace, domains: Sequence[str], name: str):
    from .recipes import DataConfig, DomainData
    from .runs import RunConfig

    overrides: dict = {"height": args.height} if args.height else {}
    if args.ctc_aux:
        overrides["ctc_aux"] = True
    model = preset(args.preset, **overrides).to_dict()
    loop = LoopConfig(steps=args.steps, lr=args.lr, warmup_steps=args.warmup,
                      val_every=args.val_every, log_every=args.log_every,
                      checkpoint_every_s=args.checkpoint_every, amp=not args.no_amp,
                      seed=args.seed, time_limit_s=args.time_limit * 60)
    caches, weights = _pairs(args.synth_cache, "--synth-cache"), _pairs(args.real_weight, "--real-weight")
    data_dirs: dict[str, list[str]] = {}
    for item in args.data:
        k, v = next(iter(_pairs([item], "--data").items()))
        data_dirs.setdefault(k, []).append(v)
    data = DataConfig(seed=args.seed, max_label_length=model["max_length"])
    for d in domains:
        spec = DomainData.defaults(d, args.shared_data)
        if d in caches:
            spec.synth_cache = caches[d]
        if d in weights:
            spec.real_weight = float(weights[d])
        if args.val_size is not None:
            spec.val_size = args.val_size
        if d in data_dirs:
            spec.real_dirs = data_dirs[d]
        if args.no_synth:
            spec.synth_kind, spec.synth_cache, spec.real_weight = "", None, 1.0
        data.domains[d] = spec
    cfg = RunConfig(name=name, model=model, loop=loop, data=data, batch_size=args.batch_size,
                    device=args.device, workers=args.workers,
                    init_from=str(args.init_from) if args.init_from else None)
    cfg.distill.w_ctc = args.w_ctc
    return cfg


def cmd_teacher(args: argparse.Namespace) -> int:
    from .runs import run_training
    cfg = run_config_from_args(args, [args.domain], f"teacher-{args.domain}")
    run_training(args.out, cfg)
    return 0


def student_config_from_args(args: argparse.Namespace, name: str):
    """A student run: both domains mixed by --scene-ratio, both teachers, the loss weights."""
    cfg = run_config_from_args(args, ["scene", "handwriting"], name)
    cfg.data.domain_weights = {"scene": args.scene_ratio, "handwriting": 1 - args.scene_ratio}
    cfg.teachers = {"scene": str(args.scene_teacher), "handwriting": str(args.hw_teacher)}
    cfg.distill = DistillConfig(temperature=args.temperature, w_ce=args.w_ce, w_logits=args.w_logits,
                                w_hint=args.w_hint, w_attention=args.w_attention,
                                w_affinity=args.w_affinity, conditional_strength=args.conditional,
                                w_ctc=args.w_ctc)
    return cfg


def cmd_student(args: argparse.Namespace) -> int:
    from .runs import run_training
    run_training(args.out, student_config_from_args(args, "student"))
    return 0


def cmd_synth_preview(args: argparse.Namespace) -> int:
    from .synth.preview import write_contact_sheet
    path = write_contact_sheet(args.out, n_per_kind=args.n, seed=args.seed)
    print(f"wrote {path}")
    return 0


def cmd_render_cache(args: argparse.Namespace) -> int:
    from .cache import render_cache
    render_cache(args.out, args.kind, args.n, seed=args.seed, workers=args.workers)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from .plot import plot_run
    out = plot_run(args.run, args.out)
    print(f"wrote {out}")
    return 0


def build_train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unitext train", description="Train UniText models.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("teacher", help="train a domain teacher with cross-entropy")
    p.add_argument("--domain", choices=["scene", "handwriting"], required=True)
    _add_common(p)
    p.set_defaults(func=cmd_teacher)

    p = sub.add_parser("student", help="distil the unified student from both teachers")
    _add_common(p)
    _add_distill(p)
    p.set_defaults(func=cmd_student)

    p = sub.add_parser("ablation", help="baselines and ablations at one budget, as a table")
    _add_common(p)
    _add_distill(p)
    p.add_argument("--rows", help="comma-separated subset of rows to run")
    p.add_argument("--eval-limit", type=int, default=None, help="crops per evaluation set")
    p.set_defaults(func=lambda a: __import__("training.ablation", fromlist=["main"]).main(a))

    p = sub.add_parser("pipeline", help="teachers, then student, then evaluation (resumable)")
    p.add_argument("--preset-name", "--preset", dest="pipeline_preset", default="shipped")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--device", default="auto")
    p.add_argument("--time-limit", type=float, default=0.0, help="minutes for this invocation")
    p.add_argument("--shared-data", type=Path, help="the shared/data folder (default ../shared/data)")
    p.add_argument("--eval-limit", type=int, help="crops per evaluation set in the final evaluation")
    p.add_argument("--parallel-teachers", action="store_true",
                   help="train both teachers at once, one process (and one CPU thread) each")
    p.add_argument("--student-procs", type=int, default=1,
                   help="train the student as N data-parallel processes of one thread each, "
                        "splitting its batch (2 on a 2-core machine)")
    p.add_argument("--stage", choices=["teacher-scene", "teacher-handwriting", "student",
                                       "baseline-multitask"],
                   help="only this stage's unfinished cycles (e.g. stages in separate processes)")
    p.add_argument("--allow-asset-change", action="store_true",
                   help="go on although the synthetic-data fonts/texts differ from the run's")
    p.set_defaults(func=lambda a: __import__("training.pipeline", fromlist=["main"]).main(a))

    p = sub.add_parser("synth-preview", help="contact sheet PNG of synthetic samples")
    p.add_argument("--out", type=Path, default=Path("synth-preview.png"))
    p.add_argument("--n", type=int, default=24, help="samples per kind")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_synth_preview)

    p = sub.add_parser("render-cache", help="render synthetic samples once into an on-disk cache")
    p.add_argument("--kind", required=True, help="scene, hw-line, hw-word or hw-mixed")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_render_cache)

    p = sub.add_parser("plot", help="draw a run's curves to a PNG")
    p.add_argument("run", type=Path)
    p.add_argument("--out", type=Path)
    p.set_defaults(func=cmd_plot)
    return parser


def train_main(argv: Sequence[str]) -> int:
    args = build_train_parser().parse_args(list(argv))
    return int(args.func(args) or 0)


def build_eval_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="unitext eval", description="Score a model on evaluation sets.")
    p.add_argument("datasets", nargs="+", type=Path, help="folders with labels.tsv (or hw-pages)")
    p.add_argument("--model", type=Path, help="model file (default: the bundled model)")
    p.add_argument("--device", default="auto")
    p.add_argument("--limit", type=int, help="at most this many crops (lines) per set")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--out", type=Path, help="write predictions TSV and summary.json here")
    p.add_argument("--sheet", type=Path, help="draw the worst errors to this PNG")
    p.add_argument("--confusions", type=int, default=0, metavar="N",
                   help="print the N most frequent character confusions per domain "
                        "(also written to OUT/confusions.md with --out)")
    p.add_argument("--threads", type=int, help="CPU threads")
    p.add_argument("--no-loop-guard", action="store_true",
                   help="keep readings that loop until the length cap as decoded "
                        "(to measure what engine.decoding's guard changes)")
    p.add_argument("--no-int8", action="store_true",
                   help="decode with float weights on the CPU too (to measure what the int8 "
                        "decoder weights of engine.inference change)")
    return p


def eval_main(argv: Sequence[str]) -> int:
    args = build_eval_parser().parse_args(list(argv))
    from engine.checkpoint import ModelFileError
    from engine.device import DeviceError
    from engine.recognizer import Recognizer

    from .evaluate import evaluate_set, format_table, write_predictions

    try:
        recognizer = Recognizer.load(args.model, device=args.device, threads=args.threads,
                                     int8=False if args.no_int8 else None)
    except (ModelFileError, DeviceError) as exc:
        print(f"unitext eval: {exc}", file=sys.stderr)
        return 1
    recognizer.trim_runaways = not args.no_loop_guard
    results = []
    for folder in args.datasets:
        try:
            results.append(evaluate_set(recognizer, folder, args.limit, args.batch_size))
        except (OSError, ValueError) as exc:
            print(f"unitext eval: {folder}: {exc}", file=sys.stderr)
            return 1
        print(f"{folder.name}: {results[-1].card.n} crops in {results[-1].seconds:.1f}s",
              file=sys.stderr, flush=True)
    guard = "" if recognizer.trim_runaways else " (loop guard off)"
    weights = f", {recognizer.weights}" if recognizer.int8 else ""
    print(f"model: {recognizer.model_path} on {recognizer.device}{weights}{guard}")
    print(format_table(results))
    if args.out:
        write_predictions(results, args.out)
        print(f"predictions: {args.out}")
    if args.sheet:
        from .error_sheet import write_error_sheet
        write_error_sheet(results, args.datasets, args.sheet)
        print(f"worst errors: {args.sheet}")
    if args.confusions > 0:
        from .confusions import confusions_report
        report = confusions_report(results, args.confusions)
        print(report)
        if args.out:
            (args.out / "confusions.md").write_text(report, encoding="utf-8")
    return 0
