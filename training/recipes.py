"""What a run trains on: the data recipe of each domain (real sets, synthetic data, ratios)
and the held-back validation samples. Saved with the run's config."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.charset import Charset

from .data.augment import augment_for
from .data.folder import TsvFolderDataset
from .data.mixing import MixComponent, held_out_split

SCENE, HANDWRITING = "scene", "handwriting"


def default_shared_data() -> Path:
    env = os.environ.get("UNITEXT_SHARED")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / "shared"
    return root / "data"


@dataclass
class DomainData:
    """One domain's training mix."""

    real_dirs: list[str] = field(default_factory=list)  # folders with labels.tsv (or lmdb)
    synth_cache: str | None = None  # a rendered cache folder (training.cache)
    synth_kind: str = ""  # on-the-fly generator when no cache: "scene", "hw-line", "hw-mixed"
    real_weight: float = 0.5  # share of real samples in this domain's draws
    val_size: int = 300  # real training samples held back for validation

    @staticmethod
    def defaults(domain: str, shared_data: Path | None = None) -> "DomainData":
        root = shared_data or default_shared_data()
        if domain == SCENE:
            return DomainData([str(root / "train-scene-words")], synth_kind="scene",
                              real_weight=0.4, val_size=400)
        if domain == HANDWRITING:
            return DomainData([str(root / "train-hw-lines")], synth_kind="hw-mixed",
                              real_weight=0.6, val_size=300)
        raise ValueError(f"unknown domain {domain!r}")


@dataclass
class DataConfig:
    domains: dict[str, DomainData] = field(default_factory=dict)
    domain_weights: dict[str, float] = field(default_factory=dict)  # e.g. 50/50 for the student
    seed: int = 0
    max_label_length: int = 160

    def to_dict(self) -> dict[str, Any]:
        import dataclasses
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DataConfig":
        return cls(domains={k: DomainData(**v) for k, v in data["domains"].items()},
                   domain_weights=dict(data["domain_weights"]), seed=int(data["seed"]),
                   max_label_length=int(data["max_label_length"]))


class Subset:
    """A view of a map-style dataset through a list of indices."""

    def __init__(self, dataset: Any, indices: list[int]):
        self.dataset, self.indices = dataset, list(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> Any:
        return self.dataset[self.indices[i]]


def _synthetic(domain: str, spec: DomainData, seed: int, max_length: int) -> Any:
    from .cache import CachedSynthDataset, OnTheFlyDataset
    if spec.synth_cache and Path(spec.synth_cache).exists():
        return CachedSynthDataset(spec.synth_cache)
    from .synth import make_generator
    return OnTheFlyDataset(make_generator(spec.synth_kind, seed=seed, max_length=max_length),
                           length=1_000_000)


def build_components(cfg: DataConfig, charset: Charset,
                     report: list[str] | None = None) -> tuple[list[MixComponent], dict[str, list[Any]]]:
    """The mix components of every domain and the held-back validation samples per domain."""
    comps: list[MixComponent] = []
    val: dict[str, list[Any]] = {}
    total_domain = sum(cfg.domain_weights.get(d, 1.0) for d in cfg.domains)
    for domain, spec in cfg.domains.items():
        dw = cfg.domain_weights.get(domain, 1.0) / total_domain
        reals = []
        val[domain] = []
        for k, folder in enumerate(spec.real_dirs):
            ds = TsvFolderDataset(folder, domain, charset=charset, max_length=cfg.max_label_length)
            if report is not None:
                report.append(f"{folder}: {len(ds)} samples; skipped {ds.skipped_summary()}")
            per_set = spec.val_size // max(1, len(spec.real_dirs))
            train_idx, val_idx = held_out_split(ds, per_set, seed=cfg.seed + k)
            reals.append((f"{domain}/real{k}", Subset(ds, train_idx)))
            val[domain].extend(Subset(ds, val_idx)[i] for i in range(len(val_idx)))
        synth = _synthetic(domain, spec, cfg.seed, cfg.max_label_length) if spec.synth_kind or spec.synth_cache else None
        real_share = spec.real_weight if synth is not None else 1.0
        for name, ds in reals:
            comps.append(MixComponent(name, ds, dw * real_share / max(1, len(reals)),
                                      augment=augment_for(domain), domain=domain))
        if synth is not None and real_share < 1.0:
            comps.append(MixComponent(f"{domain}/synth", synth, dw * (1 - real_share), domain=domain))
    return comps, val
