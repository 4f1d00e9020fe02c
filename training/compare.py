"""Paired comparison of two models' predictions on the same crops, with bootstrap intervals.

Two models a few tenths of a point apart on 4,660 scene words may differ by chance alone;
reading the same crops, their difference is measured far more tightly *paired* (resampling
crops, each with both readings) than by setting two unpaired figures side by side. Input: two
``unitext eval --out DIR`` folders; output per set and per domain, for the scene metric
(case-insensitive alphanumeric word accuracy) and raw CER, ``B - A`` with its 95 % interval.

    python -m training.compare A_DIR B_DIR [--names A B] [--resamples 2000]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .evaluate import PREDICTIONS_SUFFIX, guess_domain, read_predictions
from .metrics import score_pair


@dataclass
class PairedSet:
    """Per-crop scores of both models on one set, aligned by crop key."""

    name: str
    domain: str
    correct_ci: np.ndarray  # (n, 2) 0/1: case-insensitive alphanumeric word match
    edits: np.ndarray  # (n, 2) raw edit distance
    ref_chars: np.ndarray  # (n,) raw reference length


def pair_sets(dir_a: Path, dir_b: Path) -> list[PairedSet]:
    """Sets present in both folders; refuses crops or references that do not match."""
    domains = json.loads((dir_a / "summary.json").read_text(encoding="utf-8"))
    names = sorted(p.name[:-len(PREDICTIONS_SUFFIX)] for p in dir_a.glob(f"*{PREDICTIONS_SUFFIX}")
                   if (dir_b / p.name).is_file())
    if not names:
        raise ValueError(f"no predictions file is in both {dir_a} and {dir_b}")
    paired = []
    for name in names:
        a, b = (read_predictions(d / f"{name}{PREDICTIONS_SUFFIX}") for d in (dir_a, dir_b))
        if a.keys() != b.keys():
            raise ValueError(f"{name}: the two folders scored different crops "
                             f"({len(a)} and {len(b)}; same --limit?)")
        correct, edits, ref_chars = [], [], []
        for key, (ref, hyp_a) in a.items():
            ref_b, hyp_b = b[key]
            if ref_b != ref:
                raise ValueError(f"{name}: {key} has two references: {ref!r} and {ref_b!r}")
            scores = [score_pair(ref, hyp) for hyp in (hyp_a, hyp_b)]
            correct.append([s.exact_ci for s in scores])
            edits.append([s.edits for s in scores])
            ref_chars.append(scores[0].ref_chars)
        domain = domains.get(name, {}).get("domain") or guess_domain(Path(name))
        paired.append(PairedSet(name, domain, np.asarray(correct, float),
                                np.asarray(edits, float), np.asarray(ref_chars, float)))
    return paired


@dataclass
class Difference:
    label: str
    n: int
    a: float
    b: float
    low: float  # 95 % interval of b - a
    high: float


def _difference(label: str, sets: list[PairedSet], metric: str, resamples: int,
                rng: np.random.Generator) -> Difference:
    """Stratified paired bootstrap: each set resampled on its own, pooled as the eval pools."""
    def value(idx: list[np.ndarray]) -> np.ndarray:  # -> (2,) for models a, b
        if metric == "acc_ci":
            return sum(s.correct_ci[i].sum(0) for s, i in zip(sets, idx)) / sum(len(i) for i in idx)
        edits = sum(s.edits[i].sum(0) for s, i in zip(sets, idx))
        return edits / max(sum(s.ref_chars[i].sum() for s, i in zip(sets, idx)), 1.0)

    full = value([np.arange(len(s.ref_chars)) for s in sets])
    diffs = np.empty(resamples)
    for r in range(resamples):
        v = value([rng.integers(0, len(s.ref_chars), len(s.ref_chars)) for s in sets])
        diffs[r] = v[1] - v[0]
    low, high = np.percentile(diffs, [2.5, 97.5])
    return Difference(label, sum(len(s.ref_chars) for s in sets), float(full[0]), float(full[1]),
                      float(low), float(high))


def compare(sets: list[PairedSet], resamples: int = 2000, seed: int = 0) -> list[tuple[str, Difference]]:
    """Scene sets: word accuracy (ci); handwriting sets: raw CER; each set, then each domain."""
    rng = np.random.default_rng(seed)
    rows = []
    for domain, metric in (("scene", "acc_ci"), ("handwriting", "cer")):
        members = [s for s in sets if s.domain == domain]
        for s in members:
            rows.append((metric, _difference(s.name, [s], metric, resamples, rng)))
        if len(members) > 1:
            rows.append((metric, _difference(f"[pooled {domain}]", members, metric, resamples, rng)))
    return rows


def format_rows(rows: list[tuple[str, Difference]], names: tuple[str, str]) -> str:
    a, b = names
    head = (f"{'set':<22} {'metric':<7} {'n':>5} {a[:10]:>10} {b[:10]:>10} {'b - a':>7} "
            f"{'95% interval':>18}  verdict")
    lines = [head, "-" * len(head)]
    for metric, d in rows:
        better_higher = metric == "acc_ci"
        if d.low > 0 or d.high < 0:
            b_better = (d.low > 0) == better_higher
            verdict = f"{b if b_better else a} better"
        else:
            verdict = "no significant difference"
        lines.append(f"{d.label:<22} {metric:<7} {d.n:>5} {d.a:>10.3f} {d.b:>10.3f} "
                     f"{d.b - d.a:>+7.3f} [{d.low:>+7.3f}, {d.high:>+7.3f}]  {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.compare", description=__doc__.split("\n\n")[0])
    ap.add_argument("a", type=Path, help="unitext eval --out folder of model A")
    ap.add_argument("b", type=Path, help="unitext eval --out folder of model B")
    ap.add_argument("--names", nargs=2, default=("A", "B"), metavar=("A", "B"))
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        sets = pair_sets(args.a, args.b)
    except (OSError, ValueError, KeyError) as exc:
        ap.exit(2, f"error: {exc}\n")
    print(f"A = {args.names[0]} ({args.a}), B = {args.names[1]} ({args.b}); "
          f"paired bootstrap, {args.resamples} resamples, seed {args.seed}")
    print(format_rows(compare(sets, args.resamples, args.seed), tuple(args.names)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
