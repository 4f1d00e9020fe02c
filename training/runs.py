"""One training run (a teacher, the student or a baseline) from its config to its model file.

A run folder holds ``config.json``, ``log.jsonl``, ``last.pt`` (the exact-resume state),
``model.pt`` (the latest inference model file) and ``best.pt`` (the best one on the held-back
validation samples). Running the same command again resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from engine.charset import Charset
from engine.checkpoint import load_model, save_model
from engine.config import ModelConfig, preset
from engine.device import resolve_device
from engine.model import TextRecognizer

from .batch_sources import DomainBatches, LoaderBatches, batch_size_of
from .data.batching import StreamBatches
from .data.mixing import MixedSource
from .distill import DOMAINS, DistillConfig, Distiller, StudentWithProjection
from .distributed import DistInfo, init_distributed, shutdown
from .loop import LoopConfig, Trainer
from .metrics import ScoreCard
from .recipes import DataConfig, build_domain_data


@dataclass
class RunConfig:
    """Everything that defines a run; saved in its checkpoints and model files."""

    name: str = "run"
    model: dict[str, Any] = field(default_factory=lambda: preset("small").to_dict())
    loop: LoopConfig = field(default_factory=LoopConfig)
    data: DataConfig = field(default_factory=DataConfig)
    distill: DistillConfig = field(default_factory=lambda: DistillConfig(
        w_logits=0, w_hint=0, w_attention=0, w_affinity=0, conditional_strength=0))
    teachers: dict[str, str] = field(default_factory=dict)  # domain -> teacher model file
    batch_size: int = 48
    device: str = "auto"
    workers: int = 1  # data-preparation processes per domain
    init_from: str | None = None  # start from these weights (a model file); ignored on resume

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.model, "loop": dataclasses.asdict(self.loop),
                "data": self.data.to_dict(), "distill": self.distill.to_dict(),
                "teachers": dict(self.teachers), "batch_size": self.batch_size,
                "device": self.device, "workers": self.workers, "init_from": self.init_from}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        return cls(name=d["name"], model=d["model"], loop=LoopConfig(**d["loop"]),
                   data=DataConfig.from_dict(d["data"]), distill=DistillConfig(**d["distill"]),
                   teachers=dict(d["teachers"]), batch_size=int(d["batch_size"]),
                   device=d["device"], workers=int(d.get("workers", 1)),
                   init_from=d.get("init_from"))


def split_batch(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Per-domain sub-batch sizes in proportion to the weights, each at least 1."""
    norm = sum(weights.values())
    sizes = {d: max(1, round(total * w / norm)) for d, w in weights.items()}
    return sizes


def _stream_factory(stream: MixedSource, charset: Charset, batch_size: int, model_cfg: ModelConfig):
    def make(start: int) -> StreamBatches:
        return StreamBatches(stream, charset, batch_size, model_cfg.height, model_cfg.max_width,
                             start_batch=start)
    return make


def _model_config(cfg: RunConfig, charset: Charset) -> ModelConfig:
    return ModelConfig.from_dict({**cfg.model, "num_classes": charset.num_classes})


def init_weights(model: TextRecognizer, path: str | Path) -> None:
    """Start ``model`` from another model file's weights. The configs must match except for
    the training-only CTC head, which starts fresh where the source has none (e.g. a student
    with the head started from the scene teacher, trained without it)."""
    source, _, _ = load_model(path)
    a, b = source.config.to_dict(), model.config.to_dict()
    a.pop("ctc_aux"), b.pop("ctc_aux")
    if a != b:
        diff = sorted(k for k in a if a[k] != b.get(k))
        raise ValueError(f"--init-from {path}: its model config differs from this run's in {diff}")
    missing, unexpected = model.load_state_dict(source.state_dict(), strict=False)
    stray = [k for k in list(missing) + list(unexpected) if not k.startswith("ctc_head.")]
    if stray:
        raise ValueError(f"--init-from {path}: weights do not match this model: {stray[:5]}")


def score_samples(model: TextRecognizer, samples: list[Any], charset: Charset,
                  device: torch.device, batch_size: int = 32) -> ScoreCard:
    """Greedy-decode held-back samples and score them (1 - CER is the conditional 'score')."""
    from engine.preprocess import collate, prepare_crop

    cfg = model.config
    card = ScoreCard()
    order = sorted(range(len(samples)), key=lambda i: samples[i].image.shape[1] / max(1, samples[i].image.shape[0]))
    for start in range(0, len(order), batch_size):
        chunk = [samples[i] for i in order[start:start + batch_size]]
        images, widths = collate([prepare_crop(s.image, cfg.height, cfg.max_width) for s in chunk])
        res = model.greedy(images.to(device), widths.to(device))
        for s, row, n in zip(chunk, res.indices.cpu(), res.lengths.cpu()):
            card.add(s.text, charset.decode(row[: int(n)]))
    return card


def run_training(run_dir: str | Path, cfg: RunConfig) -> dict[str, float]:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = run_dir / "run_config.json"
    if cfg_path.exists():  # a resumed run keeps its own config; steps/time limits may change
        saved = RunConfig.from_dict(json.loads(cfg_path.read_text(encoding="utf-8")))
        saved.loop.steps, saved.loop.time_limit_s = cfg.loop.steps, cfg.loop.time_limit_s
        saved.loop.stop_at_step = cfg.loop.stop_at_step
        saved.device, saved.workers = cfg.device, cfg.workers
        cfg = saved
    info = init_distributed(cfg.device)
    device = resolve_device(cfg.device)
    if device.type == "cuda" and info.enabled:
        device = torch.device("cuda", info.local_rank)
    if info.is_main:
        cfg_path.write_text(json.dumps(cfg.to_dict(), indent=2), encoding="utf-8")
    torch.manual_seed(cfg.loop.seed + info.rank)
    charset = Charset()
    model_cfg = _model_config(cfg, charset)
    batches, val = prepare_data(cfg, charset, model_cfg, device, info)
    student = TextRecognizer(model_cfg)
    if cfg.init_from and not (run_dir / "last.pt").exists():
        init_weights(student, cfg.init_from)
    teachers = {d: load_model(p)[0].to(device) for d, p in cfg.teachers.items()}
    distiller = Distiller(teachers, cfg.distill)
    module = StudentWithProjection(student, {d: t.decoder.glimpse_dim for d, t in teachers.items()})
    teacher_scores = _teacher_scores(run_dir, teachers, val, charset, device, info) \
        if cfg.distill.uses_teachers and cfg.distill.conditional_strength > 0 else {}

    def validate(step: int) -> dict[str, float]:
        out: dict[str, float] = {}
        scores = {}
        for domain, samples in val.items():
            card = score_samples(student, samples, charset, device)
            out.update({f"{domain}_acc": card.accuracy, f"{domain}_cer": card.cer})
            scores[domain] = 1.0 - card.cer
        out["score"] = sum(scores.values()) / max(1, len(scores))
        if teacher_scores and all(d in scores for d in DOMAINS):
            out.update(distiller.update_conditional_weights(teacher_scores, scores))
        return out

    best: dict[str, float] = {}  # 1 - CER can be far below zero early on: no floor
    best_path = run_dir / "best.json"
    if best_path.exists():
        best = json.loads(best_path.read_text(encoding="utf-8"))

    def on_checkpoint(step: int, last_val: dict[str, float] | None) -> None:
        meta = {"run": cfg.name, "step": step, "config": cfg.to_dict(), "validation": last_val or {}}
        save_model(run_dir / "model.pt", student, charset, meta)
        if last_val and "score" in last_val and ("score" not in best
                                                 or last_val["score"] > best["score"]):
            best.update(last_val, step=step)
            save_model(run_dir / "best.pt", student, charset, meta)
            best_path.write_text(json.dumps(best, indent=2), encoding="utf-8")

    trainer = Trainer(run_dir, module, distiller.loss, batches, cfg.loop, cfg.to_dict(), device,
                      info, validate=validate, on_checkpoint=on_checkpoint,
                      batch_size_of=batch_size_of)
    try:
        return trainer.run()
    finally:
        shutdown(info)


def prepare_data(cfg: RunConfig, charset: Charset, model_cfg: ModelConfig, device: torch.device,
                 info: DistInfo) -> tuple[Any, dict[str, list[Any]]]:
    """The run's batch source (one domain, or one sub-batch per domain) and the held-back
    validation samples of each domain."""
    report: list[str] = []
    domains = list(cfg.data.domains)
    val: dict[str, list[Any]] = {}
    sources: dict[str, LoaderBatches] = {}
    sizes = split_batch(cfg.batch_size, {d: cfg.data.domain_weights.get(d, 1.0) for d in domains})
    for d_index, domain in enumerate(domains):
        comps, val[domain] = build_domain_data(cfg.data, domain, charset, report)
        stream = MixedSource(comps, seed=(cfg.data.seed * 1000 + info.rank) * 10 + d_index)
        sources[domain] = LoaderBatches(_stream_factory(stream, charset, sizes[domain], model_cfg),
                                        device, cfg.workers)
    if info.is_main:
        for line in report:
            print(line, flush=True)
    batches = sources[domains[0]] if len(domains) == 1 else DomainBatches(sources)
    return batches, val


def _teacher_scores(run_dir: Path, teachers: dict[str, TextRecognizer], val: dict[str, list[Any]],
                    charset: Charset, device: torch.device, info: DistInfo) -> dict[str, float]:
    """Each teacher's 1 - CER on its domain's held-back samples (cached: teachers are frozen)."""
    path = run_dir / "teacher_scores.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    scores = {}
    with torch.inference_mode():
        for domain, model in teachers.items():
            scores[domain] = 1.0 - score_samples(model.eval(), val[domain], charset, device).cer
    if info.is_main:
        path.write_text(json.dumps(scores, indent=2), encoding="utf-8")
    return scores


def train_domain_classifier(run_dir: str | Path, cfg: RunConfig) -> Path:
    """The two-stage baseline's router, trained on the run's mixed data; returns its file."""
    from .two_stage import DomainClassifier, classifier_loss, save_classifier

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    device = resolve_device(cfg.device)
    info = DistInfo()
    charset = Charset()
    model_cfg = _model_config(cfg, charset)
    batches, val = prepare_data(cfg, charset, model_cfg, device, info)
    classifier = DomainClassifier(preset("tiny", num_classes=2, height=model_cfg.height))
    out = run_dir / "classifier.pt"

    def on_checkpoint(step: int, last_val: dict[str, float] | None) -> None:
        save_classifier(out, classifier)

    trainer = Trainer(run_dir, classifier, classifier_loss, batches, cfg.loop, cfg.to_dict(),
                      device, info, on_checkpoint=on_checkpoint, batch_size_of=batch_size_of)
    trainer.run()
    del val
    return out


def run_finished(run: str | Path, steps: int) -> bool:
    """True when the run's log says it trained to ``steps`` (a run stopped by a signal or a
    time limit checkpoints and returns normally: only its ``done`` event tells)."""
    log = Path(run) / "log.jsonl"
    if not log.is_file():
        return False
    for line in reversed(log.read_text(encoding="utf-8").splitlines()):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("event") == "done":
            return int(rec.get("step", 0)) >= steps
    return False
