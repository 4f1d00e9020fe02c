"""Undo commands: every edit to regions goes through one of these onto the QUndoStack.

Each command names its page and regions by id (never by list index or object identity), so
a command stays valid after other edits have been undone and redone around it.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from engine.geometry import Region
from unitext_app.document import TextRegion

from .document_model import DocumentModel, RegionReading

_MERGE_NUDGE = 1001  # id for merging consecutive keyboard nudges into one undo step


class AddRegion(QUndoCommand):
    def __init__(self, model: DocumentModel, page_id: str, region: TextRegion, index: int | None = None) -> None:
        super().__init__(f"Add {_kind_name(region.shape)}")
        self.model, self.page_id, self.region = model, page_id, region
        self.index = len(model.page(page_id).regions) if index is None else index

    def redo(self) -> None:
        self.model.insert_region(self.page_id, self.index, self.region)

    def undo(self) -> None:
        self.model.remove_regions(self.page_id, [self.region.id])


class DeleteRegions(QUndoCommand):
    def __init__(self, model: DocumentModel, page_id: str, region_ids: list[str]) -> None:
        n = len(region_ids)
        super().__init__("Delete region" if n == 1 else f"Delete {n} regions")
        self.model, self.page_id, self.region_ids = model, page_id, list(region_ids)
        self.removed: list[tuple[int, TextRegion]] = []

    def redo(self) -> None:
        self.removed = self.model.remove_regions(self.page_id, self.region_ids)

    def undo(self) -> None:
        self.model.restore_regions(self.page_id, self.removed)


class SetShapes(QUndoCommand):
    """Move, resize, rotate or reshape one or more regions in one step."""

    def __init__(self, model: DocumentModel, page_id: str, changes: dict[str, tuple[Region, Region]],
                 text: str, merge_key: int = -1) -> None:
        super().__init__(text)
        self.model, self.page_id, self.changes = model, page_id, dict(changes)
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt's name
        return self.merge_key

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, SetShapes) or other.merge_key != self.merge_key or self.merge_key < 0:
            return False
        if other.page_id != self.page_id or set(other.changes) != set(self.changes):
            return False
        self.changes = {rid: (self.changes[rid][0], other.changes[rid][1]) for rid in self.changes}
        return True

    def redo(self) -> None:
        for rid, (_, new) in self.changes.items():
            self.model.set_shape(self.page_id, rid, new)

    def undo(self) -> None:
        for rid, (old, _) in self.changes.items():
            self.model.set_shape(self.page_id, rid, old)


class Reorder(QUndoCommand):
    def __init__(self, model: DocumentModel, page_id: str, new_order: list[str], text: str = "Reorder regions") -> None:
        super().__init__(text)
        self.model, self.page_id = model, page_id
        self.old_order = model.region_ids(page_id)
        self.new_order = list(new_order)

    def redo(self) -> None:
        self.model.set_order(self.page_id, self.new_order)

    def undo(self) -> None:
        self.model.set_order(self.page_id, self.old_order)


class EditText(QUndoCommand):
    """The user's transcription; kept in corrected_text, apart from the machine reading."""

    def __init__(self, model: DocumentModel, page_id: str, region_id: str, new_text: str | None) -> None:
        super().__init__("Edit transcription")
        self.model, self.page_id, self.region_id = model, page_id, region_id
        self.old = model.region(page_id, region_id).corrected_text
        self.new = new_text

    def redo(self) -> None:
        self.model.set_corrected_text(self.page_id, self.region_id, self.new)

    def undo(self) -> None:
        self.model.set_corrected_text(self.page_id, self.region_id, self.old)


class ApplyReadings(QUndoCommand):
    """Recognition results for many regions (perhaps on several pages) as one undo step."""

    def __init__(self, model: DocumentModel, readings: dict[tuple[str, str], RegionReading]) -> None:
        n = len(readings)
        super().__init__("Recognise region" if n == 1 else f"Recognise {n} regions")
        self.model = model
        self.new = dict(readings)
        self.old = {key: RegionReading.of(model.region(*key)) for key in readings}

    def redo(self) -> None:
        for (page_id, rid), reading in self.new.items():
            self.model.set_reading(page_id, rid, reading)

    def undo(self) -> None:
        for (page_id, rid), reading in self.old.items():
            self.model.set_reading(page_id, rid, reading)


def _kind_name(shape: Region) -> str:
    return {"rect": "rectangle", "rotated_rect": "rotated rectangle", "polygon": "polygon"}.get(
        getattr(shape, "kind", ""), "region")
