"""Where the bundled default model lives, found the same way in a source checkout, an
installed wheel and a PyInstaller bundle (never relative to the current directory)."""

from __future__ import annotations

import os
import sys
from importlib import resources as importlib_resources
from pathlib import Path

DEFAULT_MODEL_NAME = "unitext-student.pt"
MODEL_ENV = "UNITEXT_MODEL"


def resources_dir() -> Path:
    """The folder of the ``resources`` package (inside the bundle when frozen)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(str(importlib_resources.files("resources")))


def default_model_path() -> Path:
    """``$UNITEXT_MODEL`` if set, else the bundled student model (which may be absent)."""
    override = os.environ.get(MODEL_ENV)
    if override:
        return Path(override).expanduser()
    return resources_dir() / "models" / DEFAULT_MODEL_NAME
