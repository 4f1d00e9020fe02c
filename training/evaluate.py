"""``unitext eval``: score a model file on evaluation sets, per set and per domain.

A set is a folder with ``labels.tsv`` (``images/<file><TAB><text>``) or, like
``shared/data/hw-pages``, whole pages with ground-truth PAGE/ALTO XML whose lines are cut
out by their polygons' bounding boxes. Labels are scored as written: characters outside the
model's charset count as errors, never skipped.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.imageio import load_image
from engine.recognizer import Prediction, Recognizer

from .metrics import ScoreCard

SCENE, HANDWRITING = "scene", "handwriting"
PREDICTIONS_SUFFIX = ".predictions.tsv"  # one file per set in an ``unitext eval --out`` folder


@dataclass
class EvalItem:
    key: str  # image path (and line id for page sets)
    text: str
    image: np.ndarray


@dataclass
class SetResult:
    name: str
    domain: str
    card: ScoreCard
    seconds: float
    predictions: list[tuple[str, str, str, float]] = field(default_factory=list)  # key, ref, hyp, conf

    @property
    def crops_per_s(self) -> float:
        return self.card.n / max(self.seconds, 1e-9)


def guess_domain(folder: Path) -> str:
    name = folder.name.lower()
    return HANDWRITING if name.startswith(("hw-", "train-hw")) or "hand" in name else SCENE


def iter_label_folder(folder: Path, limit: int | None = None) -> Iterator[EvalItem]:
    labels = folder / "labels.tsv"
    with labels.open(encoding="utf-8-sig") as fh:
        rows = [line.rstrip("\n").split("\t", 1) for line in fh if line.strip()]
    for n, row in enumerate(rows):
        if limit is not None and n >= limit:
            break
        if len(row) != 2:
            raise ValueError(f"{labels}:{n + 1}: expected 'path<TAB>text'")
        rel, text = row
        yield EvalItem(rel, text, load_image(folder / rel))


def iter_page_folder(folder: Path, limit: int | None = None) -> Iterator[EvalItem]:
    """Lines of whole pages with PAGE 2019 (preferred) or ALTO ground truth."""
    from .page_gt import read_ground_truth_lines

    with (folder / "labels.tsv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    count = 0
    for row in rows:
        xml_rel = row.get("gt_xml_page2019") or row["gt_xml"]
        image = load_image(folder / row["image"])
        for line_id, (x0, y0, x1, y1), text in read_ground_truth_lines(folder / xml_rel):
            if limit is not None and count >= limit:
                return
            x0, y0 = max(0, int(x0)), max(0, int(y0))
            x1, y1 = min(image.shape[1], int(x1)), min(image.shape[0], int(y1))
            if x1 - x0 < 2 or y1 - y0 < 2 or not text.strip():
                continue
            count += 1
            yield EvalItem(f"{row['image']}#{line_id}", text, image[y0:y1, x0:x1])


def iter_eval_set(folder: Path, limit: int | None = None) -> Iterator[EvalItem]:
    if not (folder / "labels.tsv").is_file():
        raise FileNotFoundError(f"{folder} has no labels.tsv: not an evaluation set")
    with (folder / "labels.tsv").open(encoding="utf-8-sig") as fh:
        first = fh.readline()
    if first.startswith("image\tgt_xml"):
        return iter_page_folder(folder, limit)
    return iter_label_folder(folder, limit)


def evaluate_set(recognizer: Recognizer, folder: Path, limit: int | None = None,
                 batch_size: int = 32, domain: str | None = None) -> SetResult:
    items = list(iter_eval_set(folder, limit))
    start = time.perf_counter()
    preds: list[Prediction] = []
    for i in range(0, len(items), 256):  # bounded memory for prepared crops
        preds.extend(recognizer.recognize([it.image for it in items[i:i + 256]], batch_size))
    seconds = time.perf_counter() - start
    card = ScoreCard()
    result = SetResult(folder.name, domain or guess_domain(folder), card, seconds)
    for item, pred in zip(items, preds):
        card.add(item.text, pred.text)
        result.predictions.append((item.key, item.text, pred.text, pred.confidence))
    return result


def domain_averages(results: Sequence[SetResult]) -> dict[str, ScoreCard]:
    pooled: dict[str, ScoreCard] = {}
    for r in results:
        pooled[r.domain] = pooled[r.domain].merge(r.card) if r.domain in pooled else r.card.merge(ScoreCard())
    return pooled


def format_table(results: Sequence[SetResult]) -> str:
    head = f"{'set':<22} {'domain':<12} {'n':>5} {'acc':>6} {'acc_ci':>6} {'CER':>6} {'CER_ci':>6} {'crops/s':>8}"
    lines = [head, "-" * len(head)]
    for r in results:
        c = r.card
        lines.append(f"{r.name:<22} {r.domain:<12} {c.n:>5} {c.accuracy:>6.3f} {c.accuracy_ci:>6.3f} "
                     f"{c.cer:>6.3f} {c.cer_ci:>6.3f} {r.crops_per_s:>8.1f}")
    for domain, c in sorted(domain_averages(results).items()):
        lines.append(f"{'[pooled]':<22} {domain:<12} {c.n:>5} {c.accuracy:>6.3f} {c.accuracy_ci:>6.3f} "
                     f"{c.cer:>6.3f} {c.cer_ci:>6.3f} {'':>8}")
    return "\n".join(lines)


def write_predictions(results: Sequence[SetResult], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    for r in results:
        with (out_dir / f"{r.name}{PREDICTIONS_SUFFIX}").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
            w.writerow(["key", "reference", "prediction", "confidence"])
            for key, ref, hyp, conf in r.predictions:
                w.writerow([key, ref, hyp, f"{conf:.4f}"])
        summary[r.name] = {"domain": r.domain, **r.card.summary(), "crops_per_s": r.crops_per_s}
    for domain, c in domain_averages(results).items():
        summary[f"pooled-{domain}"] = {"domain": domain, **c.summary()}
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")


def read_predictions(path: Path) -> dict[str, tuple[str, str]]:
    """A predictions file of :func:`write_predictions`: crop key -> (reference, prediction)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return {row["key"]: (row["reference"], row["prediction"]) for row in rows}
