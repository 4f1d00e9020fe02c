"""The selected regions, shared by the canvas, the region list and the text panel.

Each view sets the selection with itself as ``origin`` and ignores changes it caused, so
selecting in one view selects in the others without feedback loops.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class RegionSelection(QObject):
    changed = Signal(list, object)  # ids in reading order, origin (the view that changed it)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids: list[str] = []

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    @property
    def single(self) -> str | None:
        return self._ids[0] if len(self._ids) == 1 else None

    def set(self, ids: list[str], origin: object = None) -> None:
        ids = list(dict.fromkeys(ids))
        if ids == self._ids:
            return
        self._ids = ids
        self.changed.emit(list(ids), origin)

    def retain(self, existing: list[str], origin: object = None) -> None:
        """Drop ids that no longer exist (after a delete or undo), keeping the rest's order."""
        keep = set(existing)
        self.set([i for i in existing if i in set(self._ids) and i in keep], origin)
