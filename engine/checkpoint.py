"""The model file: weights, model config, charset, training metadata and a format version.

One ``.pt`` file written by ``torch.save`` holding only tensors and plain containers, read
back with ``torch.load(weights_only=True)`` so a model file can never run code. Every way a
file can be wrong (missing, truncated, foreign, too new, weights not matching the config)
ends in :class:`ModelFileError`, whose message names the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from .charset import Charset
from .config import ModelConfig
from .model import TextRecognizer

FORMAT_NAME = "unitext-model"
FORMAT_VERSION = 1


class ModelFileError(Exception):
    """A model file cannot be used; the message says which file and why."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot load model file {self.path}: {reason}")


def atomic_torch_save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write to a temporary file beside ``path`` then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(path: str | os.PathLike[str], model: TextRecognizer, charset: Charset,
               metadata: dict[str, Any] | None = None, half: bool = True) -> None:
    """Save an inference model file; ``half`` stores float weights as float16 (half the size)."""
    state = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach().cpu()
        if half and tensor.is_floating_point():
            tensor = tensor.half()
        state[name] = tensor.contiguous()
    atomic_torch_save({
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "charset": charset.characters,
        "metadata": dict(metadata or {}),
        "state_dict": state,
    }, path)


def read_model_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The validated raw contents of a model file (no model built)."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(path, "no such file")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, pickle of foreign objects, not a torch file...
        raise ModelFileError(path, f"not a readable UniText model file ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0][:200] if str(exc) else 'no detail'})"
                             ) from exc
    if not isinstance(blob, dict) or blob.get("format") != FORMAT_NAME:
        raise ModelFileError(path, "not a UniText model file (no 'unitext-model' header)")
    version = blob.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(path, f"format version {version!r} is newer than this UniText "
                             f"reads ({FORMAT_VERSION}); update UniText")
    for key, kind in (("config", dict), ("charset", str), ("metadata", dict), ("state_dict", dict)):
        if not isinstance(blob.get(key), kind):
            raise ModelFileError(path, f"field {key!r} is missing or malformed")
    return blob


def load_model(path: str | os.PathLike[str]) -> tuple[TextRecognizer, Charset, dict[str, Any]]:
    """Build the model from a file: (model in eval mode, float32 on CPU; charset; metadata)."""
    blob = read_model_file(path)
    try:
        charset = Charset(blob["charset"])
        config = ModelConfig.from_dict(blob["config"])
    except (TypeError, ValueError) as exc:
        raise ModelFileError(path, f"invalid config or charset: {exc}") from exc
    if config.num_classes != charset.num_classes:
        raise ModelFileError(path, f"config has {config.num_classes} classes but the charset "
                             f"needs {charset.num_classes}")
    model = TextRecognizer(config)
    state = {k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()
        raise ModelFileError(path, "weights do not match the model config: "
                             + " ".join(line.strip() for line in first[:3])[:300]) from exc
    model.eval()
    return model, charset, blob["metadata"]
