"""Install a trained student as the bundled default model, only if the evaluation says it is
better than the one already bundled, and write its model card from that evaluation.

    python -m training.ship CANDIDATE.pt [--eval-limit N] [--force]

The criterion is one number per model on the shared evaluation sets: the mean of the pooled
scene accuracy (case-insensitive alphanumeric) and 1 - the pooled handwriting CER.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from engine.checkpoint import load_model, save_model
from engine.model import count_parameters
from engine.recognizer import Recognizer
from engine.resources import DEFAULT_MODEL_NAME, resources_dir

from .ablation import EVAL_SETS
from .confusions import confusions_report
from .evaluate import SetResult, domain_averages, evaluate_set, format_table
from .recipes import default_shared_data


def overall(results: list[SetResult]) -> float:
    pooled = domain_averages(results)
    scene = pooled["scene"].accuracy_ci if "scene" in pooled else 0.0
    hand = 1.0 - pooled["handwriting"].cer if "handwriting" in pooled else 0.0
    return (scene + hand) / 2


def evaluate_all(model: Path, shared: Path, limit: int | None) -> list[SetResult]:
    recognizer = Recognizer.load(model, device="cpu")
    return [evaluate_set(recognizer, shared / name, limit) for name in EVAL_SETS
            if (shared / name / "labels.tsv").is_file()]


STAGES = ("teacher-scene", "teacher-handwriting", "student")


def training_budget(candidate: Path) -> list[str]:
    """What training the candidate cost, read off its pipeline run's cycle logs
    (``RUN/student/cycle-K/best.pt``): finished cycles, steps and wall-clock hours per stage,
    the student's counted up to the candidate's own cycle. Empty for a file from elsewhere."""
    from .pipeline import cycle_number, stage_cycles
    from .plot import read_log
    from .runs import run_finished
    run = candidate.resolve().parent
    root = run.parents[1] if cycle_number(run) else None
    if root is None or not all((root / stage).is_dir() for stage in STAGES):
        return []
    lines = []
    for stage in STAGES:
        cycles = stage_cycles(root / stage)
        if stage == run.parent.name:
            cycles = [d for d in cycles if cycle_number(d) <= cycle_number(run)]
        steps, seconds, batches = 0, 0.0, set()
        for cycle in cycles:
            config = json.loads((cycle / "run_config.json").read_text(encoding="utf-8"))
            if not run_finished(cycle, config["loop"]["steps"]):
                continue
            records = read_log(cycle)
            steps += config["loop"]["steps"]
            seconds += max((r.get("elapsed_s", 0.0) for r in records), default=0.0)
            batches.add(config["batch_size"])
        if steps:
            lines.append(f"- {stage}: {steps:,} steps of {'/'.join(map(str, sorted(batches)))} "
                         f"crops, {seconds / 3600:.1f} h of training (wall clock)")
    return lines


def model_card(model_path: Path, results: list[SetResult], command: str,
               candidate: Path | None = None, bench: str | None = None,
               notes: str | None = None) -> str:
    """The card: what the model is, what it was trained on and for how long, how it scores
    (beside the peers where a ``make bench`` report is given) and where it fails."""
    model, charset, meta = load_model(model_path)
    cfg = model.config
    run_cfg: dict[str, Any] = meta.get("config", {})
    lines = [
        "# UniText default model: the distilled unified student", "",
        f"File: `{DEFAULT_MODEL_NAME}` ({model_path.stat().st_size / 1e6:.1f} MB, float16 weights).",
        "",
        "## Architecture",
        f"- ResNet feature extractor (channels {list(cfg.channels)}, blocks {list(cfg.blocks)}), "
        f"BiLSTM {cfg.lstm_hidden}x{cfg.lstm_layers}, additive-attention LSTM decoder "
        f"(hidden {cfg.decoder_hidden}); {count_parameters(model) / 1e6:.2f}M parameters.",
        f"- Input: grayscale, height {cfg.height} px, width in proportion (up to {cfg.max_width}); "
        f"up to {cfg.max_length} characters; {len(charset)} characters in the charset.",
        "- Distilled from a scene-text teacher and a handwriting teacher of the same architecture "
        "(Bhunia et al., ICCV 2021): cross-entropy + logits, glimpse-hint, attention and affinity "
        "losses, conditional domain weighting.",
        "- Read through `engine/inference.py`, as the application and `unitext read` read: batch "
        "norms folded into the convolutions and, on the CPU, int8 weights for the decoder's two "
        "large per-step matrix products. Every figure below is of that path.",
        "",
        "## Training",
        f"- Run: `{meta.get('run', '?')}`, step {meta.get('step', '?')}.",
        "- Data: synthetic scene words and handwriting (fonts and word lists from Debian and npm "
        "packages, see training/assets/ASSETS.md) and the real training sets "
        "`train-scene-words` (ICDAR 2015, SVT, IIIT5K, ICDAR 2013 born-digital training splits: "
        "research use, cite the datasets) and `train-hw-lines` (Joseph Hooker letters CC-BY-SA 4.0, "
        "images (c) RBG Kew; Testaments de Poilus, CREMMA, Copiste d'un jour, Peraire, "
        "HTRomance, Stanford memorials, CREMMA Medii Aevi: CC-BY 4.0). No evaluation set was used.",
        f"- Run configuration (abridged): `{json.dumps({k: run_cfg.get(k) for k in ('batch_size', 'loop', 'distill') if k in run_cfg})[:600]}`",
        "",
    ]
    budget = training_budget(candidate) if candidate else []
    if budget:
        lines += ["## Budget", "",
                  "On this project's machines (2 CPU cores, no GPU): the teachers side by side on "
                  "one core each, then the student on both. From the run's cycle logs:", "",
                  *budget, ""]
    lines += [
        "## Evaluation",
        f"Command: `{command}` ({time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, CPU).",
        "",
        "```",
        format_table(results),
        "```",
        "",
        "acc = exact string match; acc_ci = case-insensitive alphanumeric; CER = character error "
        "rate (raw). Scene bar: pooled acc_ci >= 0.70; handwriting bar: CER <= 0.15 per set.",
        "",
    ]
    if bench:
        # Its title line dropped and its headings one level down, under this section's.
        body = re.sub(r"^(#+) ", r"#\1 ", bench.split("\n", 1)[-1].strip(), flags=re.M)
        lines += ["## Beside the peers (`make bench`, measured together)", "", body, ""]
    lines += ["## Most frequent character confusions", "",
              "From the evaluation above (`training/confusions.py`, as `unitext eval --confusions`):",
              "", confusions_report(results, top=10).replace("### ", "#### ")]
    lines += ["## Known weaknesses", ""]
    lines += [notes.strip(), ""] if notes else [
        "- Trained on 2 CPU cores: far fewer samples than the paper's models saw.",
        "- Handwriting styles far from the training hands (and curved or vertical scene text) are "
        "read less well; see `unitext eval --sheet` for the worst errors.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("candidate", type=Path)
    p.add_argument("--shared-data", type=Path, default=None)
    p.add_argument("--eval-limit", type=int)
    p.add_argument("--force", action="store_true", help="install even if not better")
    p.add_argument("--bench", type=Path,
                   help="a `make bench` report (its --out) of this candidate, for the card")
    p.add_argument("--notes", type=Path,
                   help="Markdown: the known weaknesses found in the error analysis, for the card")
    args = p.parse_args(argv)
    shared = args.shared_data or default_shared_data()
    target = resources_dir() / "models" / DEFAULT_MODEL_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    # Evaluate exactly what would ship: the float16 copy.
    tmp = target.with_suffix(".tmp.pt")
    model, charset, meta = load_model(args.candidate)
    save_model(tmp, model, charset, meta, half=True)
    new = evaluate_all(tmp, shared, args.eval_limit)
    print("candidate:\n" + format_table(new))
    if target.exists() and not args.force:
        old = evaluate_all(target, shared, args.eval_limit)
        print("bundled:\n" + format_table(old))
        if overall(new) <= overall(old):
            tmp.unlink()
            print(f"not installed: candidate {overall(new):.4f} <= bundled {overall(old):.4f}")
            return 1
    shutil.move(str(tmp), target)
    command = f"python -m training.ship {args.candidate}" + "".join(
        f" --{name} {value}" for name, value in (("eval-limit", args.eval_limit),
                                                 ("bench", args.bench), ("notes", args.notes))
        if value)
    card = model_card(target, new, command, args.candidate,
                      args.bench.read_text(encoding="utf-8") if args.bench else None,
                      args.notes.read_text(encoding="utf-8") if args.notes else None)
    (target.parent / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    print(f"installed {target} (score {overall(new):.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
