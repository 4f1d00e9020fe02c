"""UniText's recognition engine: model, model files, crop rectification, batched inference.

Imports nothing from ``unitext_app`` or ``training`` and no Qt. Heavy modules (torch) are
imported lazily, so ``engine.geometry`` and ``engine.imageio`` are cheap to use on their own.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "Recognizer": "engine.recognizer",
    "Prediction": "engine.recognizer",
    "ModelFileError": "engine.checkpoint",
    "Charset": "engine.charset",
    "ModelConfig": "engine.config",
    "default_model_path": "engine.resources",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
