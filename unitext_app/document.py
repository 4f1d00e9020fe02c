"""The document model: pages, regions in reading order, machine readings and corrections.

Qt-free on purpose: the GUI, the project files, the exporters and ``unitext read`` all share
it. A region keeps the machine's reading and the user's correction apart, so an export can
say which text a person checked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from engine.geometry import Region, bounding_box, region_from_dict


def new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class TextRegion:
    """One region on a page and what was read in it."""

    shape: Region
    id: str = field(default_factory=new_id)
    machine_text: str | None = None  # the recognizer's reading, None until recognised
    confidence: float | None = None  # sequence confidence in [0, 1]
    char_confidences: list[float] = field(default_factory=list)  # one per machine_text char
    corrected_text: str | None = None  # the user's edit, None while uncorrected
    model: str | None = None  # the model that produced machine_text

    @property
    def text(self) -> str:
        """What the region says: the correction if there is one, else the machine reading."""
        if self.corrected_text is not None:
            return self.corrected_text
        return self.machine_text or ""

    @property
    def is_corrected(self) -> bool:
        return self.corrected_text is not None and self.corrected_text != self.machine_text

    @property
    def is_recognised(self) -> bool:
        return self.machine_text is not None

    def bbox(self) -> tuple[float, float, float, float]:
        return bounding_box(self.shape)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "shape": self.shape.to_dict(),
            "machine_text": self.machine_text,
            "confidence": self.confidence,
            "char_confidences": list(self.char_confidences),
            "corrected_text": self.corrected_text,
            "model": self.model,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TextRegion":
        if not isinstance(data, dict):
            raise ValueError("a region must be an object")
        conf = data.get("confidence")
        chars = data.get("char_confidences") or []
        if not isinstance(chars, list):
            raise ValueError("char_confidences must be a list")
        return cls(
            shape=region_from_dict(data.get("shape")),  # type: ignore[arg-type]
            id=str(data.get("id") or new_id()),
            machine_text=_opt_str(data.get("machine_text"), "machine_text"),
            confidence=None if conf is None else float(conf),
            char_confidences=[float(c) for c in chars],
            corrected_text=_opt_str(data.get("corrected_text"), "corrected_text"),
            model=_opt_str(data.get("model"), "model"),
        )


@dataclass
class Page:
    """One image (or one frame of a multi-page TIFF) and its regions in reading order."""

    image_path: str  # as stored in the project: relative to the project file where possible
    width: int
    height: int
    frame: int = 0  # page index inside a multi-page image file
    regions: list[TextRegion] = field(default_factory=list)
    id: str = field(default_factory=new_id)

    def region(self, region_id: str) -> TextRegion:
        for r in self.regions:
            if r.id == region_id:
                return r
        raise KeyError(region_id)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "image_path": self.image_path, "frame": self.frame,
                "width": self.width, "height": self.height,
                "regions": [r.to_dict() for r in self.regions]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Page":
        if not isinstance(data, dict):
            raise ValueError("a page must be an object")
        regions = data.get("regions") or []
        if not isinstance(regions, list):
            raise ValueError("regions must be a list")
        try:
            width, height = int(data["width"]), int(data["height"])
            path = str(data["image_path"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"page lacks image_path/width/height: {exc}") from exc
        return cls(image_path=path, width=width, height=height,
                   frame=int(data.get("frame") or 0),
                   regions=[TextRegion.from_dict(r) for r in regions],
                   id=str(data.get("id") or new_id()))


@dataclass
class Document:
    """Everything a project file holds."""

    pages: list[Page] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"pages": [p.to_dict() for p in self.pages], "metadata": dict(self.metadata)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Document":
        if not isinstance(data, dict):
            raise ValueError("a document must be an object")
        pages = data.get("pages") or []
        if not isinstance(pages, list):
            raise ValueError("pages must be a list")
        meta = data.get("metadata") or {}
        if not isinstance(meta, dict):
            raise ValueError("metadata must be an object")
        return cls(pages=[Page.from_dict(p) for p in pages], metadata=meta)


def _opt_str(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{name} must be a string or null")
