"""The training loop shared by teachers, the student and the baselines.

It owns what every run needs and nothing model-specific: optimizer and schedule, mixed
precision on GPU, DDP, JSON-lines logs, a progress line, periodic validation and
checkpoints that resume exactly (model, optimizer, scheduler, step, RNG, data position).
What a step computes comes in as ``loss_fn(module, batch) -> (loss, metrics)``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from .distributed import DistInfo, all_gather_objects, barrier, broadcast_object, mean_across
from .state import load_train_state, rng_state, save_train_state, set_rng_state

LAST = "last.pt"


@dataclass
class LoopConfig:
    steps: int = 20000
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 300
    min_lr_ratio: float = 0.05  # cosine decays to lr * this
    grad_clip: float = 5.0
    log_every: int = 25
    val_every: int = 1000
    checkpoint_every_s: float = 300.0
    amp: bool = True  # bfloat16 autocast, only on CUDA
    seed: int = 0
    time_limit_s: float = 0.0  # stop (after a checkpoint) once this much wall time passed; 0 = none
    stop_at_step: int = 0  # stop (after a checkpoint) at this step; 0 = run to ``steps``


class BatchSource(Protocol):
    def next_batch(self) -> Any: ...
    def state_dict(self) -> Any: ...
    def load_state_dict(self, state: Any) -> None: ...


def warmup_cosine(cfg: LoopConfig) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / max(1, cfg.warmup_steps)
        progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
        return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return factor


class JsonlLog:
    """Machine-readable run log: one JSON object per line, appended (survives resumes)."""

    def __init__(self, path: Path, enabled: bool = True):
        self.path = path
        self.enabled = enabled

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        record = {"time": round(time.time(), 3), **record}
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


class Trainer:
    def __init__(self, run_dir: str | Path, module: nn.Module,
                 loss_fn: Callable[[nn.Module, Any], tuple[Tensor, dict[str, float]]],
                 batches: BatchSource, cfg: LoopConfig, run_config: dict[str, Any],
                 device: torch.device, dist_info: DistInfo | None = None,
                 validate: Callable[[int], dict[str, float]] | None = None,
                 on_checkpoint: Callable[[int, dict[str, float] | None], None] | None = None,
                 batch_size_of: Callable[[Any], int] = lambda b: int(b.images.shape[0])):
        self.run_dir = Path(run_dir)
        self.cfg = cfg
        self.dist = dist_info or DistInfo()
        self.device = device
        self.module = module.to(device)
        self.loss_fn = loss_fn
        self.batches = batches
        self.run_config = run_config
        self.validate = validate
        self.on_checkpoint = on_checkpoint
        self.batch_size_of = batch_size_of
        params = [p for p in module.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, warmup_cosine(cfg))
        self.step = 0
        self.last_val: dict[str, float] | None = None
        self.log = JsonlLog(self.run_dir / "log.jsonl", enabled=self.dist.is_main)
        self._stop_requested = False
        self.train_module: nn.Module = self.module
        if self.dist.enabled:
            ids = [device.index] if device.type == "cuda" else None
            self.train_module = DistributedDataParallel(self.module, device_ids=ids)

    # -- checkpoints -------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / LAST

    def resume_if_possible(self) -> bool:
        path = self.checkpoint_path
        if not path.exists():
            return False
        blob = load_train_state(path)
        self.module.load_state_dict(blob["model"])
        self.optimizer.load_state_dict(blob["optimizer"])
        self.scheduler.load_state_dict(blob["scheduler"])
        self.step = int(blob["step"])
        data_states = blob["data"]
        if len(data_states) != self.dist.world_size:
            raise RuntimeError(f"{path} was written by {len(data_states)} processes; resume it "
                               f"with the same number (now {self.dist.world_size})")
        self.batches.load_state_dict(data_states[self.dist.rank])
        set_rng_state(blob["rng"][self.dist.rank])
        self.last_val = blob["extra"].get("last_val")
        return True

    def save_checkpoint(self) -> None:
        data_states = all_gather_objects(self.batches.state_dict(), self.dist)
        rng_states = all_gather_objects(rng_state(), self.dist)
        if self.dist.is_main:
            save_train_state(self.checkpoint_path, step=self.step, model=self.module,
                             optimizer=self.optimizer, scheduler=self.scheduler,
                             data_state=data_states, config=self.run_config,
                             extra={"last_val": self.last_val}, rng_states=rng_states)
            if self.on_checkpoint is not None:
                self.on_checkpoint(self.step, self.last_val)
        barrier(self.dist)

    # -- the loop ----------------------------------------------------------------------
    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.cfg.amp and self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _request_stop(self, signum: int, frame: Any) -> None:
        del frame
        self._stop_requested = True
        print(f"\nsignal {signum}: saving a checkpoint and stopping", file=sys.stderr)

    def run(self) -> dict[str, float]:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        resumed = self.resume_if_possible()
        if self.dist.is_main:
            (self.run_dir / "config.json").write_text(
                json.dumps(self.run_config, indent=2, ensure_ascii=False), encoding="utf-8")
            self.log.write({"event": "resume" if resumed else "start", "step": self.step,
                            "world_size": self.dist.world_size, "config": self.run_config})
        old_handlers = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):  # not the main thread
                old_handlers[sig] = signal.signal(sig, self._request_stop)
        try:
            return self._loop()
        finally:
            for sig, handler in old_handlers.items():
                signal.signal(sig, handler)

    def _loop(self) -> dict[str, float]:
        cfg = self.cfg
        start = time.time()
        last_ckpt = time.time()
        window_t, window_n = time.time(), 0
        sums: dict[str, float] = {}
        count = 0
        self.train_module.train()
        while self.step < cfg.steps:
            batch = self.batches.next_batch()
            with self._autocast():
                loss, metrics = self.loss_fn(self.train_module, batch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(self.module.parameters(), cfg.grad_clip)
            self.optimizer.step()
            self.scheduler.step()
            self.step += 1
            window_n += self.batch_size_of(batch)
            loss_value = float(loss.detach())
            if not math.isfinite(loss_value):
                raise FloatingPointError(f"loss became {loss_value} at step {self.step}")
            for k, v in {"loss": loss_value, **metrics}.items():
                sums[k] = sums.get(k, 0.0) + float(v)
            count += 1

            if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                now = time.time()
                rate = mean_across(window_n / max(now - window_t, 1e-9), self.dist) * self.dist.world_size
                record = {k: round(mean_across(v / count, self.dist), 5) for k, v in sums.items()}
                record.update(step=self.step, lr=self.scheduler.get_last_lr()[0],
                              samples_per_s=round(rate, 2), elapsed_s=round(now - start, 1))
                self.log.write({"event": "train", **record})
                self._progress(record)
                sums, count, window_t, window_n = {}, 0, now, 0

            if self.validate is not None and cfg.val_every and self.step % cfg.val_every == 0:
                self._run_validation()

            over_time = cfg.time_limit_s and time.time() - start > cfg.time_limit_s
            at_stop_step = 0 < cfg.stop_at_step <= self.step
            stop = bool(broadcast_object(self._stop_requested or over_time or at_stop_step, self.dist))
            if time.time() - last_ckpt > cfg.checkpoint_every_s or stop or self.step == cfg.steps:
                if self.step == cfg.steps and self.validate is not None and \
                        self.step % max(cfg.val_every, 1) != 0:
                    self._run_validation()
                self.save_checkpoint()
                last_ckpt = time.time()
            if stop:
                if self.dist.is_main:
                    self.log.write({"event": "stopped", "step": self.step})
                break
        if self.dist.is_main and self.step >= cfg.steps:
            self.log.write({"event": "done", "step": self.step})
        return self.last_val or {}

    def _run_validation(self) -> None:
        assert self.validate is not None
        self.train_module.eval()
        with torch.inference_mode():
            val = self.validate(self.step)
        self.train_module.train()
        self.last_val = val
        if self.dist.is_main:
            self.log.write({"event": "val", "step": self.step, **val})
            shown = " ".join(f"{k}={v:.4f}" for k, v in val.items() if isinstance(v, float))
            print(f"\n[val step {self.step}] {shown}", file=sys.stderr, flush=True)

    def _progress(self, record: dict[str, Any]) -> None:
        if not self.dist.is_main:
            return
        pct = 100.0 * self.step / max(1, self.cfg.steps)
        bar = "#" * int(pct / 5) + "-" * (20 - int(pct / 5))
        acc = record.get("acc")
        acc_s = f" acc {acc:.3f}" if acc is not None else ""
        line = (f"[{bar}] {pct:5.1f}% step {self.step}/{self.cfg.steps} loss {record['loss']:.4f}"
                f"{acc_s} {record['samples_per_s']:.1f} samples/s")
        end = "\r" if sys.stderr.isatty() else "\n"
        print(line, end=end, file=sys.stderr, flush=True)


def config_dict(*configs: Any) -> dict[str, Any]:
    """Dataclass configs as one JSON-able dict keyed by class name."""
    return {type(c).__name__: dataclasses.asdict(c) for c in configs}
