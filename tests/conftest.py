"""Shared test fixtures. Tests that need ../shared skip with a reason where it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("UNITEXT_SHARED", REPO.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test naming what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared material not found: {path}")
    return path


@pytest.fixture(autouse=True, scope="session")
def _few_threads() -> None:
    """Two cores are shared by everything on this machine: keep each test on one thread."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny recognizer trained in this session to read the words of support.tiny_model."""
    from tests.support.tiny_model import train_tiny_model
    return train_tiny_model(tmp_path_factory.mktemp("tiny-model"))
