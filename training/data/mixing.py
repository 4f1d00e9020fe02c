"""An infinite, deterministic, resumable stream of samples mixed from several datasets.

Sample ``k`` of the stream is a pure function of ``(seed, k)``:

- the stream is cut in blocks of ``block_size`` draws; each block holds every component an
  exact number of times (its weight times the block size, largest-remainder rounding), in an
  order shuffled by ``(seed, block)``; so the ratios hold exactly per block;
- component ``c``'s ``j``-th draw overall is item ``perm(seed, c, epoch)[j mod len]`` with
  ``epoch = j // len``: every item once per epoch of that component, reshuffled each epoch;
- augmentation (real data) uses a generator seeded by ``(seed, k)``.

So the position is just ``(seed, count)``: ``state_dict()`` / ``load_state_dict()`` resume on
the very same sequence, and any worker can compute any position (see batching.StreamBatches).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .samples import Sample, check_domain

_TAG_BLOCK, _TAG_PERM, _TAG_AUG = 0x6D69, 0x7065, 0x6175


@dataclass
class MixComponent:
    """One source of the mix: any map-style dataset whose items have ``.image`` (uint8 gray),
    ``.text`` and ``.domain``; ``augment(image, rng) -> image`` is applied when given."""

    name: str
    dataset: Any
    weight: float
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None
    domain: str | None = None  # overrides the items' own domain when set

    def __post_init__(self) -> None:
        if self.weight < 0:
            raise ValueError(f"component {self.name!r}: negative weight")
        if self.domain is not None:
            check_domain(self.domain)


def nested_weights(top: dict[str, float], within: dict[str, dict[str, float]]) -> dict[str, float]:
    """``{"scene": .5, "handwriting": .5}`` and ``{"scene": {"real": .3, "synth": .7}, ...}``
    -> flat ``{"scene/real": .15, "scene/synth": .35, ...}`` (each level normalised)."""
    total = sum(top.values())
    out = {}
    for group, w in top.items():
        parts = within.get(group, {group: 1.0})
        sub = sum(parts.values())
        for name, v in parts.items():
            key = name if name == group else f"{group}/{name}"
            out[key] = (w / total) * (v / sub) if total and sub else 0.0
    return out


def _quotas(weights: Sequence[float], block: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    exact = w / w.sum() * block
    q = np.floor(exact).astype(np.int64)
    rest = block - int(q.sum())
    order = np.argsort(-(exact - q), kind="stable")
    q[order[:rest]] += 1
    return q


class MixedSource:
    """Infinite iterator of :class:`Sample` drawn from ``components`` with their weights."""

    def __init__(self, components: Sequence[MixComponent], seed: int = 0, block_size: int = 1000):
        comps = [c for c in components if c.weight > 0]
        if not comps:
            raise ValueError("no component with a positive weight")
        names = [c.name for c in comps]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique: {names}")
        for c in comps:
            if len(c.dataset) == 0:
                raise ValueError(f"component {c.name!r} has an empty dataset")
        self.components = comps
        self.seed = int(seed)
        self.block_size = int(block_size)
        self.quotas = _quotas([c.weight for c in comps], self.block_size)
        zero = [c.name for c, q in zip(comps, self.quotas) if q == 0]
        if zero:
            raise ValueError(f"block_size {block_size} too small for the weights of {zero}")
        self._base = np.repeat(np.arange(len(comps)), self.quotas)
        self._lens = [len(c.dataset) for c in comps]
        self.count = 0
        self._block_cache: tuple[int, np.ndarray, np.ndarray] | None = None
        self._perm_cache: dict[int, tuple[int, np.ndarray]] = {}

    # --- positions -----------------------------------------------------------------------
    def _block(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        if self._block_cache is None or self._block_cache[0] != b:
            layout = np.random.default_rng([self.seed, _TAG_BLOCK, b]).permutation(self._base)
            occ = np.empty_like(layout)
            for c in range(len(self.components)):
                pos = np.flatnonzero(layout == c)
                occ[pos] = np.arange(len(pos))
            self._block_cache = (b, layout, occ)
        return self._block_cache[1], self._block_cache[2]

    def _perm(self, c: int, epoch: int) -> np.ndarray:
        cached = self._perm_cache.get(c)
        if cached is None or cached[0] != epoch:
            perm = np.random.default_rng([self.seed, _TAG_PERM, c, epoch]).permutation(self._lens[c])
            self._perm_cache[c] = cached = (epoch, perm)
        return cached[1]

    def locate(self, k: int) -> tuple[int, int]:
        """Stream position -> (component index, item index in its dataset)."""
        if k < 0:
            raise ValueError("stream positions start at 0")
        b, r = divmod(int(k), self.block_size)
        layout, occ = self._block(b)
        c = int(layout[r])
        j = b * int(self.quotas[c]) + int(occ[r])
        epoch, off = divmod(j, self._lens[c])
        return c, int(self._perm(c, epoch)[off])

    def sample_at(self, k: int) -> Sample:
        c, idx = self.locate(k)
        comp = self.components[c]
        item = comp.dataset[idx]
        image = item.image
        if comp.augment is not None:
            image = comp.augment(image, np.random.default_rng([self.seed, _TAG_AUG, int(k)]))
        domain = comp.domain or item.domain
        source = getattr(item, "source", "") or f"{comp.name}:{idx}"
        return Sample(image, item.text, domain, source)

    def component_of(self, k: int) -> str:
        return self.components[self.locate(k)[0]].name

    # --- iteration and state -------------------------------------------------------------
    def __iter__(self) -> Iterator[Sample]:
        return self

    def __next__(self) -> Sample:
        sample = self.sample_at(self.count)
        self.count += 1
        return sample

    def take(self, n: int) -> list[Sample]:
        return [next(self) for _ in range(n)]

    def state_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "count": self.count, "block_size": self.block_size,
                "components": [c.name for c in self.components],
                "lengths": list(self._lens), "quotas": [int(q) for q in self.quotas]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume at ``state['count']``. The mix itself (names, dataset sizes, weights, block
        size) must be the one the state was taken from, or the sequence would differ."""
        mine = self.state_dict()
        for key in ("block_size", "components", "lengths", "quotas"):
            if key in state and _as_list(state[key]) != _as_list(mine[key]):
                raise ValueError(f"cannot resume: {key} was {state[key]}, is now {mine[key]}")
        self.seed = int(state["seed"])
        self.count = int(state["count"])
        self._block_cache = None
        self._perm_cache = {}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def held_out_split(dataset: Any, n: int, seed: int = 0, *, groups: Sequence[str] | None = None,
                   by: str = "auto") -> tuple[list[int], list[int]]:
    """Hold back about ``n`` training samples for validation -> (train_indices, val_indices).

    ``by="group"``: whole documents / hands go to validation (groups from ``groups`` or the
    dataset's ``.groups``: meta.tsv doc_id, else the file-name prefix), until at least ``n``
    samples, so validation measures new hands. ``by="random"``: ``n`` random samples.
    ``by="auto"``: grouped for handwriting datasets that have groups, random otherwise.
    """
    total = len(dataset)
    if not 0 <= n <= total:
        raise ValueError(f"cannot hold back {n} of {total} samples")
    if groups is None:
        groups = getattr(dataset, "groups", None)
    if by == "auto":
        by = "group" if groups is not None and getattr(dataset, "domain", None) == "handwriting" else "random"
    rng = np.random.default_rng([int(seed), 0x686F6C64])
    if by == "random":
        val = np.sort(rng.permutation(total)[:n])
    elif by == "group":
        if groups is None:
            raise ValueError("grouped split asked for, but the dataset has no groups")
        if len(groups) != total:
            raise ValueError(f"{len(groups)} groups for {total} samples")
        names = sorted(set(groups))
        members: dict[str, list[int]] = {g: [] for g in names}
        for i, g in enumerate(groups):
            members[g].append(i)
        chosen: list[int] = []
        for gi in rng.permutation(len(names)):
            if len(chosen) >= n:
                break
            chosen.extend(members[names[gi]])
        val = np.sort(np.asarray(chosen, dtype=np.int64))
    else:
        raise ValueError(f"by must be 'auto', 'group' or 'random', got {by!r}")
    mask = np.ones(total, dtype=bool)
    mask[val] = False
    return [int(i) for i in np.flatnonzero(mask)], [int(i) for i in val]


def supports_sizes(dataset: Any) -> bool:
    """Whether ``dataset.image_size(i)`` gives sizes without decoding (headers)."""
    flag = getattr(dataset, "supports_sizes", None)
    if flag is not None:
        return bool(flag)
    return hasattr(dataset, "image_size") or hasattr(dataset, "image_sizes")


class IndexSubset:
    """A view of ``dataset`` at ``indices`` (e.g. the train side of :func:`held_out_split`)
    that keeps what mixing and bucketing use: domain, labels, groups, image sizes."""

    def __init__(self, dataset: Any, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]
        self.domain = getattr(dataset, "domain", None)
        self.name = getattr(dataset, "name", type(dataset).__name__)
        self.supports_sizes = supports_sizes(dataset)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> Any:
        return self.dataset[self.indices[i]]

    @property
    def labels(self) -> list[str]:
        labels = self.dataset.labels
        return [labels[i] for i in self.indices]

    @property
    def groups(self) -> list[str] | None:
        groups = getattr(self.dataset, "groups", None)
        return None if groups is None else [groups[i] for i in self.indices]

    def image_size(self, i: int) -> tuple[int, int]:
        return self.dataset.image_size(self.indices[i])

    def image_sizes(self) -> np.ndarray:
        if not self.supports_sizes:
            raise AttributeError(f"{self.name} has no header sizes")
        if hasattr(self.dataset, "image_sizes"):
            return np.asarray(self.dataset.image_sizes())[self.indices]
        return np.array([self.image_size(i) for i in range(len(self))]).reshape(-1, 2)
