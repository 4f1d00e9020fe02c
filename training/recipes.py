"""What a run trains on: the data recipe of each domain (real sets, synthetic data, ratios)
and the held-back validation samples. Saved with the run's config."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.charset import Charset

from .data.augment import Augmenter
from .data.folder import TsvFolderDataset
from .data.mixing import IndexSubset, MixComponent, held_out_split

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


def _synthetic(spec: DomainData, seed: int, max_length: int) -> Any:
    from .cache import CachedSynthDataset, OnTheFlyDataset
    if spec.synth_cache:
        if not Path(spec.synth_cache).exists():
            raise FileNotFoundError(f"synthetic cache {spec.synth_cache} does not exist "
                                    "(render it with `unitext train render-cache`)")
        return CachedSynthDataset(spec.synth_cache)
    from .synth import make_generator
    return OnTheFlyDataset(make_generator(spec.synth_kind, seed=seed, max_length=max_length),
                           length=1_000_000)


def build_domain_data(cfg: DataConfig, domain: str, charset: Charset,
                      report: list[str] | None = None) -> tuple[list[MixComponent], list[Any]]:
    """One domain's mix components (real sets minus held-back samples, synthetic data) and
    its held-back validation samples."""
    spec = cfg.domains[domain]
    reals: list[tuple[str, Any]] = []
    val: list[Any] = []
    for k, folder in enumerate(spec.real_dirs):
        ds = TsvFolderDataset(folder, domain, charset=charset, max_length=cfg.max_label_length)
        if report is not None:
            report.append(f"{folder}: {len(ds)} samples kept; {ds.skipped.summary()}")
        per_set = spec.val_size // max(1, len(spec.real_dirs))
        train_idx, val_idx = held_out_split(ds, per_set, seed=cfg.seed + k)
        reals.append((f"{domain}/real{k}", IndexSubset(ds, train_idx)))
        val.extend(ds[i] for i in val_idx)
    synth = _synthetic(spec, cfg.seed, cfg.max_label_length) \
        if (spec.synth_kind or spec.synth_cache) and spec.real_weight < 1.0 else None
    real_share = spec.real_weight if synth is not None else 1.0
    comps = [MixComponent(name, ds, real_share / max(1, len(reals)),
                          augment=Augmenter.for_domain(domain), domain=domain) for name, ds in reals]
    if synth is not None:
        comps.append(MixComponent(f"{domain}/synth", synth, 1 - real_share, domain=domain))
    return comps, val
