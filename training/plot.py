"""``unitext train plot RUN``: the curves of a run's ``log.jsonl`` in one PNG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_log(run: Path) -> list[dict[str, Any]]:
    path = run / "log.jsonl" if run.is_dir() else run
    if not path.is_file():
        raise FileNotFoundError(f"no log.jsonl in {run}")
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by a crash mid-write
    return records


def plot_run(run: Path, out: Path | None = None) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_log(run)
    train = [r for r in records if r.get("event") == "train"]
    val = [r for r in records if r.get("event") == "val"]
    skip = {"event", "time", "step", "lr", "elapsed_s", "samples_per_s"}
    loss_keys = sorted({k for r in train for k in r if k not in skip and k != "acc"
                        and isinstance(r[k], (int, float))})
    val_keys = sorted({k for r in val for k in r if k not in ("event", "time", "step")
                       and isinstance(r[k], (int, float))})
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    ax = axes[0][0]
    for k in loss_keys:
        ax.plot([r["step"] for r in train if k in r], [r[k] for r in train if k in r], label=k)
    ax.set_title("training losses"), ax.set_xlabel("step"), ax.set_yscale("log"), ax.legend(fontsize=8)
    ax = axes[0][1]
    ax.plot([r["step"] for r in train if "acc" in r], [r["acc"] for r in train if "acc" in r])
    ax.set_title("teacher-forced character accuracy (train)"), ax.set_xlabel("step")
    ax = axes[1][0]
    for k in val_keys:
        ax.plot([r["step"] for r in val if k in r], [r[k] for r in val if k in r], marker="o", label=k)
    ax.set_title("validation (held-back training samples)"), ax.set_xlabel("step")
    if val_keys:
        ax.legend(fontsize=8)
    ax = axes[1][1]
    ax.plot([r["step"] for r in train], [r.get("samples_per_s", 0) for r in train], label="samples/s")
    ax2 = ax.twinx()
    ax2.plot([r["step"] for r in train], [r.get("lr", 0) for r in train], color="tab:orange", label="lr")
    ax.set_title("throughput (blue) and learning rate (orange)"), ax.set_xlabel("step")
    fig.suptitle(f"{run}")
    fig.tight_layout()
    out = out or (run / "curves.png" if run.is_dir() else run.with_suffix(".png"))
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
