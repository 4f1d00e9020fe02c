"""The open document as a QObject: the one place that mutates it and says so by signals.

Undo commands call the mutators here; the canvas, the region list and the text panel only
listen. Keeping every change behind these few methods is what makes undo/redo complete.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from engine.geometry import Region
from unitext_app.document import Document, Page, TextRegion


class DocumentModel(QObject):
    """Wraps a :class:`Document`, counts revisions (for the title's '*' and for autosave)."""

    documentReset = Signal()  # a new document (opened, new, recovered)
    pagesChanged = Signal()  # pages added or removed
    regionsChanged = Signal(str)  # page id: regions added, removed or reordered
    regionUpdated = Signal(str, str)  # page id, region id: shape or text changed
    modifiedChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = Document()
        self.project_path: str | None = None
        self._revision = 0
        self._saved_revision = 0

    # -- whole document -------------------------------------------------------------------
    def reset(self, document: Document, project_path: str | None = None, modified: bool = False) -> None:
        self.document = document
        self.project_path = project_path
        self._revision += 1
        self._saved_revision = -1 if modified else self._revision
        self.documentReset.emit()
        self.modifiedChanged.emit(self.is_modified)

    @property
    def revision(self) -> int:
        return self._revision

    @property
    def is_modified(self) -> bool:
        return self._revision != self._saved_revision

    def mark_saved(self, project_path: str) -> None:
        self.project_path = project_path
        self._saved_revision = self._revision
        self.modifiedChanged.emit(False)

    def _touch(self) -> None:
        was = self.is_modified
        self._revision += 1
        if not was:
            self.modifiedChanged.emit(True)

    # -- pages ----------------------------------------------------------------------------
    @property
    def pages(self) -> list[Page]:
        return self.document.pages

    def page(self, page_id: str) -> Page:
        for p in self.document.pages:
            if p.id == page_id:
                return p
        raise KeyError(page_id)

    def page_index(self, page_id: str) -> int:
        for i, p in enumerate(self.document.pages):
            if p.id == page_id:
                return i
        raise KeyError(page_id)

    def insert_pages(self, index: int, pages: list[Page]) -> None:
        self.document.pages[index:index] = pages
        self._touch()
        self.pagesChanged.emit()

    def remove_pages(self, page_ids: list[str]) -> None:
        self.document.pages[:] = [p for p in self.document.pages if p.id not in set(page_ids)]
        self._touch()
        self.pagesChanged.emit()

    # -- regions --------------------------------------------------------------------------
    def region(self, page_id: str, region_id: str) -> TextRegion:
        return self.page(page_id).region(region_id)

    def region_ids(self, page_id: str) -> list[str]:
        return [r.id for r in self.page(page_id).regions]

    def insert_region(self, page_id: str, index: int, region: TextRegion) -> None:
        self.page(page_id).regions.insert(index, region)
        self._touch()
        self.regionsChanged.emit(page_id)

    def remove_regions(self, page_id: str, region_ids: list[str]) -> list[tuple[int, TextRegion]]:
        """Remove and return (index, region) pairs in ascending index order, for undo."""
        page = self.page(page_id)
        wanted = set(region_ids)
        removed = [(i, r) for i, r in enumerate(page.regions) if r.id in wanted]
        page.regions[:] = [r for r in page.regions if r.id not in wanted]
        self._touch()
        self.regionsChanged.emit(page_id)
        return removed

    def restore_regions(self, page_id: str, removed: list[tuple[int, TextRegion]]) -> None:
        page = self.page(page_id)
        for index, region in removed:  # ascending: each index is final once earlier ones are back
            page.regions.insert(index, region)
        self._touch()
        self.regionsChanged.emit(page_id)

    def set_order(self, page_id: str, region_ids: list[str]) -> None:
        page = self.page(page_id)
        by_id = {r.id: r for r in page.regions}
        if sorted(by_id) != sorted(region_ids):
            raise ValueError("a new order must name every region exactly once")
        page.regions[:] = [by_id[i] for i in region_ids]
        self._touch()
        self.regionsChanged.emit(page_id)

    def set_shape(self, page_id: str, region_id: str, shape: Region) -> None:
        self.region(page_id, region_id).shape = shape
        self._touch()
        self.regionUpdated.emit(page_id, region_id)

    def set_corrected_text(self, page_id: str, region_id: str, text: str | None) -> None:
        region = self.region(page_id, region_id)
        if text is not None and text == (region.machine_text or "") and region.machine_text is not None:
            text = None  # typing back the machine reading is no correction
        region.corrected_text = text
        self._touch()
        self.regionUpdated.emit(page_id, region_id)

    def set_reading(self, page_id: str, region_id: str, reading: "RegionReading") -> None:
        region = self.region(page_id, region_id)
        reading.apply_to(region)
        self._touch()
        self.regionUpdated.emit(page_id, region_id)


class RegionReading:
    """The recogniser-owned fields of a region, captured so undo can put them back."""

    __slots__ = ("machine_text", "confidence", "char_confidences", "model", "corrected_text")

    def __init__(self, machine_text: str | None, confidence: float | None,
                 char_confidences: list[float], model: str | None, corrected_text: str | None) -> None:
        self.machine_text = machine_text
        self.confidence = confidence
        self.char_confidences = list(char_confidences)
        self.model = model
        self.corrected_text = corrected_text

    @classmethod
    def of(cls, region: TextRegion) -> "RegionReading":
        return cls(region.machine_text, region.confidence, region.char_confidences, region.model,
                   region.corrected_text)

    def apply_to(self, region: TextRegion) -> None:
        region.machine_text = self.machine_text
        region.confidence = self.confidence
        region.char_confidences = list(self.char_confidences)
        region.model = self.model
        region.corrected_text = self.corrected_text


def clone_region(region: TextRegion) -> TextRegion:
    """A deep copy with the same id (shapes are frozen, lists are copied)."""
    return replace(region, char_confidences=list(region.char_confidences))


def clone_document(document: Document) -> Document:
    return copy.deepcopy(document)
