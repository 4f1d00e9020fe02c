"""Inference speed on this machine: crops/s and per-crop latency at batch 1 and batch 32,
for word crops and for handwritten line crops. A benchmark to run by hand, not a test:

    python -m engine.benchmark [--model FILE] [--words DIR] [--lines DIR] [--threads N]

DIR is a folder with labels.tsv (default: ../shared/data/scene-iiit5k and hw-hooker-lines,
else the bundled samples' word boxes and ALTO lines). Real crops matter: decoding time
depends on how many characters the model reads.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from .imageio import load_image
from .recognizer import Recognizer
from .resources import resources_dir

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def crops_from_folder(folder: Path, n: int) -> list[np.ndarray]:
    rows = (folder / "labels.tsv").read_text(encoding="utf-8").splitlines()[:n]
    return [load_image(folder / r.split("\t", 1)[0]) for r in rows if r.strip()]


def sample_crops(kind: str, n: int) -> list[np.ndarray]:
    """Bundled fallbacks: the pub photo's word boxes, or the will page's ALTO lines."""
    samples = resources_dir() / "samples"
    if kind == "words":
        image = load_image(samples / "pub_the_pond.jpg")
        boxes = (samples / "pub_the_pond.boxes.tsv").read_text(encoding="utf-8").split("\n")
        rects = [[int(float(v)) for v in b.split("\t")[0].split(",")] for b in boxes if b.strip()]
        crops = [image[y:y + h, x:x + w] for x, y, w, h in rects]
    else:
        from lxml import etree
        image = load_image(samples / "poilus_will_page.jpg")
        root = etree.parse(str(samples / "poilus_will_page.alto.xml")).getroot()
        crops = []
        for el in root.iter():
            if etree.QName(el).localname == "TextLine":
                x, y = int(float(el.get("HPOS"))), int(float(el.get("VPOS")))
                w, h = int(float(el.get("WIDTH"))), int(float(el.get("HEIGHT")))
                crops.append(image[y:y + h, x:x + w])
    return (crops * (n // max(1, len(crops)) + 1))[:n]


def measure(rec: Recognizer, crops: list[np.ndarray], batch: int, repeats: int = 1) -> dict[str, float]:
    rec.recognize(crops[: min(len(crops), batch)], batch_size=batch)  # warm-up
    if batch == 1:
        times = []
        for _ in range(repeats):
            for c in crops:
                t = time.perf_counter()
                rec.recognize([c], batch_size=1)
                times.append(time.perf_counter() - t)
        total = sum(times)
        return {"crops_per_s": len(times) / total, "median_ms": 1000 * statistics.median(times)}
    t = time.perf_counter()
    for _ in range(repeats):
        rec.recognize(crops, batch_size=batch)
    total = time.perf_counter() - t
    n = len(crops) * repeats
    return {"crops_per_s": n / total, "median_ms": 1000 * total / n}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int)
    p.add_argument("--words", type=Path, default=SHARED / "scene-iiit5k")
    p.add_argument("--lines", type=Path, default=SHARED / "hw-hooker-lines")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--no-int8", action="store_true", help="float decoder weights on the CPU too")
    args = p.parse_args(argv)
    rec = Recognizer.load(args.model, device=args.device, threads=args.threads,
                          int8=False if args.no_int8 else None)
    import torch
    print(f"model {rec.model_path} on {rec.device} ({rec.weights}), torch threads {torch.get_num_threads()}")
    for kind, folder in (("words", args.words), ("lines", args.lines)):
        crops = crops_from_folder(folder, args.n) if (folder / "labels.tsv").is_file() \
            else sample_crops(kind, args.n)
        src = folder.name if (folder / "labels.tsv").is_file() else "bundled samples"
        for batch in (1, 32):
            r = measure(rec, crops, batch)
            print(f"{kind:<6} ({src}, {len(crops)} crops) batch {batch:>2}: "
                  f"{r['crops_per_s']:7.1f} crops/s, {r['median_ms']:7.1f} ms per crop"
                  f"{' (median latency)' if batch == 1 else ' (mean)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
