"""The version, from one place: pyproject.toml (through the installed package metadata)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

APP_NAME = "UniText"


def app_version() -> str:
    try:
        return metadata.version("unitext")
    except metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        if pyproject.is_file():
            for line in pyproject.read_text(encoding="utf-8").splitlines():
                if line.startswith("version"):
                    return line.split("=", 1)[1].strip().strip('"')
        return "0+unknown"
