"""Generator specs (strings that name a generator) and a weighted mixture of generators.

Spec strings, used by the cache and the CLI so that a worker process can rebuild the same
generator from a short picklable description:

- ``"scene"``                                   scene-text words
- ``"handwriting:word"`` / ``":line"`` / ``":mixed"``   handwriting (``hw-word`` etc. also accepted)
- ``"handwriting:line:max_length=120"``         extra keyword arguments as ``key=value``
- ``"mix"``                                     the default training mixture (below)
- ``"mix:scene=0.5,hw-line=0.3,hw-word=0.2"``   a custom mixture

A dict ``{"kind": "scene"|"handwriting"|"mix", ...}`` is accepted too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .types import SynthSample

DEFAULT_MIX = (("scene", 0.5), ("handwriting:line", 0.3), ("handwriting:word", 0.2))
_ALIASES = {"hw-word": "handwriting:word", "hw-line": "handwriting:line",
            "hw-mixed": "handwriting:mixed", "hw": "handwriting:mixed",
            "handwriting": "handwriting:mixed"}
_SALT = 0x313C


class MixedGenerator:
    """Picks one of several generators per index (deterministically) by weight."""

    def __init__(self, seed: int, parts: Sequence[tuple[Any, float]]):
        if not parts:
            raise ValueError("a mixture needs at least one generator")
        self.seed = int(seed)
        self.parts = [g for g, _ in parts]
        w = np.array([float(x) for _, x in parts], np.float64)
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("mixture weights must be non-negative and not all zero")
        self.cum = np.cumsum(w / w.sum())

    def which(self, index: int) -> int:
        u = np.random.default_rng([self.seed, int(index), _SALT]).random()
        return int(min(np.searchsorted(self.cum, u, side="right"), len(self.parts) - 1))

    def sample(self, index: int) -> SynthSample:
        return self.parts[self.which(index)].sample(index)


def _parse_value(v: str) -> Any:
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


def _parse(spec: str | dict) -> dict:
    if isinstance(spec, dict):
        return dict(spec)
    spec = spec.strip()
    if spec.startswith("mix"):
        rest = spec[3:].lstrip(":")
        parts = []
        if rest:
            for item in rest.split(","):
                name, _, weight = item.partition("=")
                parts.append((_ALIASES.get(name.strip(), name.strip()), float(weight or 1)))
        return {"kind": "mix", "parts": parts or list(DEFAULT_MIX)}
    spec = _ALIASES.get(spec, spec)
    fields = spec.split(":")
    kind = _ALIASES.get(fields[0], fields[0]).split(":")[0]
    out: dict[str, Any] = {"kind": kind}
    for f in fields[1:]:
        if "=" in f:
            k, _, v = f.partition("=")
            out[k] = _parse_value(v)
        elif kind == "handwriting":
            out["mode"] = f
        else:
            raise ValueError(f"bad generator spec {spec!r}")
    if kind not in ("scene", "handwriting"):
        raise ValueError(f"unknown generator kind {kind!r} in spec {spec!r}")
    return out


def spec_string(spec: str | dict) -> str:
    """A canonical string for a spec (recorded in cache metadata)."""
    d = _parse(spec)
    if d["kind"] == "mix":
        return "mix:" + ",".join(f"{spec_string(n)}={w:g}" for n, w in d["parts"])
    extra = [f"{k}={v}" for k, v in sorted(d.items()) if k not in ("kind", "mode")]
    head = d["kind"] + (f":{d.get('mode', 'mixed')}" if d["kind"] == "handwriting" else "")
    return ":".join([head] + extra)


def make_generator(spec: str | dict, seed: int, **shared: Any):
    """Build the generator a spec names. ``shared`` (fonts=, texts=) go to every part."""
    d = _parse(spec)
    kind = d.pop("kind")
    if kind == "mix":
        # Each part gets its own seed so parts never render the same picture.
        parts = [(make_generator(name, seed * 1000 + i + 1, **shared), w)
                 for i, (name, w) in enumerate(d["parts"])]
        return MixedGenerator(seed, parts)
    if kind == "scene":
        from .scene import SceneTextGenerator
        return SceneTextGenerator(seed, **shared, **d)
    from .handwriting import HandwritingGenerator
    return HandwritingGenerator(seed, **shared, **d)
