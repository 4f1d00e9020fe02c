"""Train a recognizer on an in-memory list of labelled crops, through the same loop, losses
and model files as the full runs. Used by the tests (a tiny model that really learns to read
rendered words) and for quick experiments on a handful of labelled crops."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from engine.charset import Charset
from engine.checkpoint import save_model
from engine.config import preset
from engine.model import TextRecognizer

from .batch_sources import LoaderBatches
from .data.batching import StreamBatches
from .data.mixing import MixComponent, MixedSource
from .distill import DistillConfig, Distiller, StudentWithProjection
from .loop import LoopConfig, Trainer


class ListDataset:
    def __init__(self, samples: Sequence[Any]):
        self.samples = list(samples)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Any:
        return self.samples[i]


def train_on_samples(samples: Sequence[Any], run_dir: str | Path, steps: int = 300,
                     model_preset: str = "tiny", batch_size: int = 16, lr: float = 3e-3,
                     seed: int = 0, augment: Any = None, stop_at_step: int = 0,
                     ctc_aux: bool = False) -> Path:
    """Train from scratch (or resume) on ``samples``; returns the saved model file."""
    run_dir = Path(run_dir)
    torch.manual_seed(seed)
    charset = Charset()
    cfg = preset(model_preset, num_classes=charset.num_classes, dropout=0.0, ctc_aux=ctc_aux)
    model = TextRecognizer(cfg)
    stream = MixedSource([MixComponent("samples", ListDataset(samples), 1.0, augment=augment)],
                         seed=seed, block_size=max(len(samples), 1))
    batches = LoaderBatches(lambda start: StreamBatches(stream, charset, batch_size, cfg.height,
                                                        cfg.max_width, start_batch=start),
                            torch.device("cpu"), num_workers=0)
    loop = LoopConfig(steps=steps, lr=lr, warmup_steps=min(30, steps // 5), log_every=25,
                      val_every=0, checkpoint_every_s=1e9, seed=seed, stop_at_step=stop_at_step)
    distiller = Distiller({}, DistillConfig(w_logits=0, w_hint=0, w_attention=0, w_affinity=0,
                                            conditional_strength=0))
    run_config = {"quick": {"preset": model_preset, "steps": steps, "n_samples": len(samples),
                            "ctc_aux": ctc_aux}}
    trainer = Trainer(run_dir, StudentWithProjection(model, {}), distiller.loss, batches, loop,
                      run_config, torch.device("cpu"))
    trainer.run()
    out = run_dir / "model.pt"
    save_model(out, model, charset, {"run": "quick", "steps": trainer.step,
                                     "config": json.loads(json.dumps(run_config))}, half=False)
    return out
