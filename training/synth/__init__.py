"""Synthetic training data: scene-text words and handwritten words/lines.

Public API::

    SynthSample(image, text, domain)
    SceneTextGenerator(seed, fonts=None, texts=None, ...).sample(index) -> SynthSample
    HandwritingGenerator(seed, mode="word"|"line"|"mixed", max_length=160, ...).sample(index)
    MixedGenerator(seed, parts=((gen, weight), ...)).sample(index)
    make_generator(spec, seed) -> generator      # spec: "scene", "handwriting:line", "mix", ...

Every ``sample(index)`` is deterministic in (seed, index) given the installed fonts and text
assets (``training/assets/install.sh``); labels are always encodable by ``Charset()``.
"""

from __future__ import annotations

from .types import DOMAINS, SynthSample

__all__ = ["DOMAINS", "SynthSample", "SceneTextGenerator", "HandwritingGenerator",
           "MixedGenerator", "make_generator", "spec_string"]


def __getattr__(name: str):
    # Lazy: importing training.synth stays cheap; generators load fonts/text on first use.
    if name == "SceneTextGenerator":
        from .scene import SceneTextGenerator
        return SceneTextGenerator
    if name == "HandwritingGenerator":
        from .handwriting import HandwritingGenerator
        return HandwritingGenerator
    if name in ("MixedGenerator", "make_generator", "spec_string"):
        from . import mixed
        return getattr(mixed, name)
    raise AttributeError(name)
