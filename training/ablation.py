"""``unitext train ablation``: the paper's baselines and ablations at one budget, as a table.

Rows (same data, same steps, same student size):
  teacher-scene, teacher-handwriting  each teacher on both domains (cross-utilisation drop)
  multitask                           the student trained on the union, cross-entropy only
  two-stage                           a domain classifier routes each crop to its teacher
  logits-only                         plain per-step logit distillation
  full                                the four losses + conditional distillation
  full-no-<term>                      the full method minus one loss or minus conditional

Each row trains in its own folder and writes ``result.json`` when scored, so the command
resumes row by row. The table (Markdown and CSV) gives word accuracy and CER per evaluation
set and each domain's pooled average, with the paper's published figures where known.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from .distill import DistillConfig
from .evaluate import SetResult, domain_averages, evaluate_set
from .recipes import default_shared_data

ROWS = ["teacher-scene", "teacher-handwriting", "multitask", "two-stage", "logits-only", "full",
        "full-no-logits", "full-no-hint", "full-no-attention", "full-no-affinity",
        "full-no-conditional"]
EVAL_SETS = ["scene-iiit5k", "scene-svt", "scene-ic15", "scene-svtp", "scene-cute80",
             "hw-hooker-lines", "hw-poilus-lines"]
# Bhunia et al. 2021, unified student, word accuracy % (secondary source; see shared/docs/paper.md).
PAPER_STUDENT = {"scene-iiit5k": 92.3, "scene-svt": 89.9, "scene-ic15": 76.9}


def distill_for(row: str, base: DistillConfig) -> DistillConfig:
    off = dict(w_logits=0.0, w_hint=0.0, w_attention=0.0, w_affinity=0.0, conditional_strength=0.0)
    if row == "multitask":
        return replace(base, **off)
    if row == "logits-only":
        return replace(base, **{**off, "w_logits": max(base.w_logits, 1.0)})
    if row == "full":
        return base
    if row == "full-no-conditional":
        return replace(base, conditional_strength=0.0)
    if row.startswith("full-no-"):
        term = row.removeprefix("full-no-")
        return replace(base, **{f"w_{term}": 0.0})
    raise ValueError(f"no distillation config for row {row!r}")


def score(recognizer: Any, eval_root: Path, limit: int | None) -> list[SetResult]:
    return [evaluate_set(recognizer, eval_root / name, limit) for name in EVAL_SETS
            if (eval_root / name / "labels.tsv").is_file()]


def row_result(results: list[SetResult], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"sets": {r.name: r.card.summary() for r in results}}
    out["domains"] = {d: c.summary() for d, c in domain_averages(results).items()}
    out.update(extra or {})
    return out


def run_row(row: str, args: argparse.Namespace, base_cfg: Any, out: Path, eval_root: Path) -> dict[str, Any]:
    from engine.recognizer import Recognizer

    import torch

    from .runs import run_finished, run_training, train_domain_classifier
    from .two_stage import TwoStageRecognizer, load_classifier

    folder = out / row
    done = folder / "result.json"
    if done.exists():
        return json.loads(done.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = {}
    threads = torch.get_num_threads()  # scoring keeps the training's thread count

    def load(path: Path) -> Recognizer:
        return Recognizer.load(path, device=args.device, threads=threads)

    if row.startswith("teacher-"):
        path = args.scene_teacher if row == "teacher-scene" else args.hw_teacher
        recognizer: Any = load(path)
    elif row == "two-stage":
        classifier = load_classifier(train_domain_classifier(folder, copy.deepcopy(base_cfg)))
        recognizer = TwoStageRecognizer(classifier, {
            "scene": load(args.scene_teacher), "handwriting": load(args.hw_teacher)})
    else:
        cfg = copy.deepcopy(base_cfg)
        cfg.name = row
        cfg.distill = distill_for(row, base_cfg.distill)
        if not cfg.distill.uses_teachers:
            cfg.teachers = {}
        run_training(folder, cfg)
        if not run_finished(folder, cfg.loop.steps):  # stopped by a signal or a time limit
            raise SystemExit(f"ablation: row {row} stopped before step {cfg.loop.steps}; "
                             "run the same command again to resume it")
        recognizer = load(folder / "model.pt")
    results = score(recognizer, eval_root, args.eval_limit)
    if row == "two-stage":
        routed = iter(recognizer.routed)
        hits = total = 0
        for r in results:
            for _ in range(r.card.n):
                hits += next(routed) == r.domain
                total += 1
        extra["routing_accuracy"] = hits / max(total, 1)
    result = row_result(results, extra)
    done.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def write_tables(results: dict[str, dict[str, Any]], out: Path, budget: str) -> tuple[Path, Path]:
    sets = [s for s in EVAL_SETS if any(s in r["sets"] for r in results.values())]
    header = ["row"]
    for s in sets:
        header += [f"{s} acc", f"{s} acc_ci", f"{s} CER"]
    header += ["scene acc_ci", "scene CER", "handwriting acc", "handwriting CER", "routing acc"]
    rows = []
    for name, r in results.items():
        line: list[Any] = [name]
        for s in sets:
            m = r["sets"].get(s)
            line += [m["acc"], m["acc_ci"], m["cer"]] if m else ["", "", ""]
        sc, hw = r["domains"].get("scene"), r["domains"].get("handwriting")
        line += [sc["acc_ci"] if sc else "", sc["cer"] if sc else "",
                 hw["acc"] if hw else "", hw["cer"] if hw else "", r.get("routing_accuracy", "")]
        rows.append(line)
    csv_path = out / "results.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    md = [f"# Ablation ({budget})", "",
          "Word accuracy (case-insensitive alphanumeric for scene sets) / CER per set; pooled per domain.",
          "", "| row | " + " | ".join(sets) + " | scene pooled acc_ci / CER | handwriting pooled CER | routing |",
          "|" + "---|" * (len(sets) + 4)]
    for name, r in results.items():
        cells = []
        for s in sets:
            m = r["sets"].get(s)
            key = "acc_ci" if s.startswith("scene") else "acc"
            cells.append(f"{m[key]:.3f} / {m['cer']:.3f}" if m else "")
        sc, hw = r["domains"].get("scene"), r["domains"].get("handwriting")
        cells.append(f"{sc['acc_ci']:.3f} / {sc['cer']:.3f}" if sc else "")
        cells.append(f"{hw['cer']:.3f}" if hw else "")
        cells.append(f"{r['routing_accuracy']:.3f}" if "routing_accuracy" in r else "")
        md.append(f"| {name} | " + " | ".join(cells) + " |")
    paper = [f"{PAPER_STUDENT[s] / 100:.3f} / -" if s in PAPER_STUDENT else "" for s in sets]
    md.append("| paper: unified student (word acc, different training data and budget) | "
              + " | ".join(paper) + " | | | |")
    md_path = out / "results.md"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    return md_path, csv_path


def main(args: argparse.Namespace) -> int:
    from .cli import student_config_from_args

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    base = student_config_from_args(args, "ablation")
    rows = [r.strip() for r in args.rows.split(",")] if args.rows else ROWS
    unknown = set(rows) - set(ROWS)
    if unknown:
        raise SystemExit(f"unknown ablation rows: {sorted(unknown)}; choose from {ROWS}")
    eval_root = (args.shared_data or default_shared_data())
    results = {}
    for row in rows:
        print(f"== ablation row {row}", flush=True)
        results[row] = run_row(row, args, base, out, eval_root)
    budget = f"{args.steps} steps, batch {args.batch_size}, preset {args.preset}, " \
             f"eval limit {args.eval_limit or 'none'} crops per set"
    md, csv_path = write_tables(results, out, budget)
    print(md.read_text(encoding="utf-8"))
    print(f"tables: {md} {csv_path}")
    return 0
