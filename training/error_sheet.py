"""The worst errors of an evaluation as a contact sheet: crop, reference, prediction."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .evaluate import SetResult, iter_eval_set
from .metrics import collapse_ws, edit_distance

ROW_H, WIDTH = 110, 900


def _font(size: int) -> ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def worst(result: SetResult, n: int) -> list[tuple[str, str, str, float]]:
    def badness(p: tuple[str, str, str, float]) -> float:
        ref, hyp = collapse_ws(p[1]), collapse_ws(p[2])
        return edit_distance(ref, hyp) / max(len(ref), 1)
    return sorted((p for p in result.predictions if collapse_ws(p[1]) != collapse_ws(p[2])),
                  key=badness, reverse=True)[:n]


def write_error_sheet(results: Sequence[SetResult], folders: Sequence[Path], out: Path,
                      per_set: int = 8) -> Path:
    font = _font(15)
    rows: list[Image.Image] = []
    for result, folder in zip(results, folders):
        picked = worst(result, per_set)
        if not picked:
            continue
        keys = {p[0] for p in picked}
        images = {it.key: it.image for it in iter_eval_set(folder) if it.key in keys}
        header = Image.new("RGB", (WIDTH, 28), (40, 40, 60))
        ImageDraw.Draw(header).text((8, 5), f"{result.name}: worst {len(picked)} of {result.card.n}",
                                    fill="white", font=font)
        rows.append(header)
        for key, ref, hyp, conf in picked:
            row = Image.new("RGB", (WIDTH, ROW_H), "white")
            crop = Image.fromarray(np.asarray(images[key]))
            crop.thumbnail((WIDTH - 16, 56))
            row.paste(crop, (8, 4))
            d = ImageDraw.Draw(row)
            d.text((8, 64), f"ref: {ref}", fill=(0, 110, 0), font=font)
            d.text((8, 85), f"hyp: {hyp}   (conf {conf:.2f})", fill=(180, 0, 0), font=font)
            rows.append(row)
    sheet = Image.new("RGB", (WIDTH, max(1, sum(r.height for r in rows))), "white")
    y = 0
    for r in rows:
        sheet.paste(r, (0, y))
        y += r.height
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
