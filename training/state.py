"""Training checkpoints that resume exactly: model, optimizer, scheduler, step, RNG states and
data position, in one file written atomically (a crash mid-save keeps the previous one).

Loaded with ``weights_only=True`` like model files: only tensors and plain containers.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.checkpoint import atomic_torch_save

TRAIN_STATE_FORMAT = "unitext-train-state"


class ResumeError(Exception):
    """A run folder's checkpoint cannot be resumed; says which file and why."""


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": json.dumps(_np_state_to_json(np.random.get_state())),
        "python": json.dumps(_py_state_to_json(random.getstate())),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(_np_state_from_json(json.loads(state["numpy"])))
    random.setstate(_py_state_from_json(json.loads(state["python"])))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_train_state(path: Path, *, step: int, model: torch.nn.Module,
                     optimizer: torch.optim.Optimizer, scheduler: Any, data_state: Any,
                     config: dict[str, Any], extra: dict[str, Any] | None = None,
                     rng_states: list[dict[str, Any]] | None = None) -> None:
    """``data_state`` and ``rng_states`` hold one entry per process (rank order)."""
    atomic_torch_save({
        "format": TRAIN_STATE_FORMAT,
        "step": step,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else {},
        "rng": rng_states if rng_states is not None else [rng_state()],
        "data": json.dumps(data_state),
        "config": json.dumps(config),
        "extra": json.dumps(extra or {}),
    }, path)


def load_train_state(path: Path) -> dict[str, Any]:
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ResumeError(f"cannot read training checkpoint {path}: {exc}") from exc
    if not isinstance(blob, dict) or blob.get("format") != TRAIN_STATE_FORMAT:
        raise ResumeError(f"{path} is not a UniText training checkpoint")
    blob["data"] = json.loads(blob["data"])
    blob["config"] = json.loads(blob["config"])
    blob["extra"] = json.loads(blob["extra"])
    return blob


def _np_state_to_json(state: tuple) -> list:
    name, keys, pos, has_gauss, cached = state
    return [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]


def _np_state_from_json(data: list) -> tuple:
    name, keys, pos, has_gauss, cached = data
    return (name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached)


def _py_state_to_json(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _py_state_from_json(data: list) -> tuple:
    version, internal, gauss = data
    return (version, tuple(internal), gauss)
