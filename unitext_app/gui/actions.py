"""Every window action with its shortcut, icon and tip, in one table.

The table is the single source for menus, toolbars and the Help > Keyboard shortcuts list.
The window connects the actions' ``triggered`` signals; nothing here knows what they do.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from .style import icon

K = QKeySequence.StandardKey


@dataclass(frozen=True)
class Spec:
    name: str
    text: str
    keys: tuple = ()
    icon: str = ""
    tip: str = ""
    checkable: bool = False
    group: str = ""


SPECS: tuple[Spec, ...] = (
    # File
    Spec("open", "&Open…", (K.Open,), "open", "Open images or a project", group="File"),
    Spec("save", "&Save project", (K.Save,), "save", "Save the project", group="File"),
    Spec("save_as", "Save project &as…", ("Ctrl+Shift+S",), "", "Save the project under a new name", group="File"),
    Spec("export", "&Export…", ("Ctrl+E",), "export", "Export text, JSON, CSV, PAGE, ALTO, hOCR or PDF", group="File"),
    Spec("remove_page", "&Remove page", (), "", "Remove the current page from the project", group="File"),
    Spec("quit", "&Quit", (K.Quit, "Ctrl+Q"), "", "", group="File"),
    # Edit
    Spec("delete", "&Delete regions", (K.Delete,), "delete", "Delete the selected regions", group="Edit"),
    Spec("select_all", "Select &all regions", (K.SelectAll,), "", "", group="Edit"),
    Spec("edit_text", "Edit &transcription", ("F2",), "corrected", "Edit the selected region's text", group="Edit"),
    Spec("move_up", "Move &up in reading order", ("Alt+Up",), "up", "Read the selected regions earlier", group="Edit"),
    Spec("move_down", "Move do&wn in reading order", ("Alt+Down",), "down", "Read the selected regions later", group="Edit"),
    Spec("sort", "S&ort regions by position", ("Ctrl+Shift+O",), "sort", "Top to bottom, left to right", group="Edit"),
    Spec("rotate_left", "Rotate 1° anticlockwise", ("[",), "", "Rotate the selected regions", group="Edit"),
    Spec("rotate_right", "Rotate 1° clockwise", ("]",), "", "Rotate the selected regions", group="Edit"),
    Spec("settings", "Se&ttings…", (K.Preferences, "Ctrl+,"), "settings", "Device, model, autosave", group="Edit"),
    # Tools
    Spec("tool_select", "&Select and edit", ("V",), "select", "Select, move, resize and rotate regions (V)", True, "Tools"),
    Spec("tool_rect", "&Rectangle", ("R",), "rect", "Draw rectangles: drag corner to corner (R)", True, "Tools"),
    Spec("tool_rotated", "Ro&tated rectangle", ("T",), "rotated",
         "Draw rotated rectangles: drag along the text line, then set the height and click (T)", True, "Tools"),
    Spec("tool_polygon", "&Polygon", ("P",), "polygon",
         "Draw polygons: click the points, double-click or Enter to finish (P)", True, "Tools"),
    Spec("tool_pan", "P&an", ("H",), "pan", "Drag to pan (also: middle mouse or Space+drag) (H)", True, "Tools"),
    # Recognise
    Spec("recognise_selected", "Recognise &selected", ("Ctrl+R",), "recognise", "Read the selected regions (Ctrl+R)", group="Recognise"),
    Spec("recognise_page", "Recognise &page", ("Ctrl+Shift+R",), "recognise-page", "Read every region on this page", group="Recognise"),
    Spec("recognise_all", "Recognise &all pages", ("Ctrl+Alt+R",), "", "Read every region on every page", group="Recognise"),
    Spec("cancel", "&Cancel recognition", ("Ctrl+.",), "cancel", "Stop after the current batch", group="Recognise"),
    # View
    Spec("zoom_in", "Zoom &in", (K.ZoomIn, "Ctrl+="), "zoom-in", "", group="View"),
    Spec("zoom_out", "Zoom &out", (K.ZoomOut,), "zoom-out", "", group="View"),
    Spec("fit", "&Fit to window", ("Ctrl+0",), "fit", "", group="View"),
    Spec("actual", "&Actual size (100%)", ("Ctrl+1",), "actual", "", group="View"),
    Spec("next_page", "&Next page", ("PgDown",), "next", "", group="View"),
    Spec("previous_page", "P&revious page", ("PgUp",), "previous", "", group="View"),
    Spec("show_text", "Show &transcriptions on the page", ("Ctrl+T",), "text", "", True, "View"),
    Spec("show_hint", "Show the &start hint", (), "", "", group="View"),
    # Help
    Spec("shortcuts", "&Keyboard shortcuts", (K.HelpContents, "F1"), "keyboard", "", group="Help"),
    Spec("log_folder", "Open &log folder", (), "folder", "Where UniText writes its logs", group="Help"),
    Spec("about", "&About UniText", (), "", "", group="Help"),
)


class Actions:
    """QActions by name: ``actions["save"]`` or ``actions.save``."""

    def __init__(self, parent: QWidget) -> None:
        self._by_name: dict[str, QAction] = {}
        self.specs = {s.name: s for s in SPECS}
        for spec in SPECS:
            action = QAction(spec.text, parent)
            action.setObjectName(f"action_{spec.name}")
            keys = [QKeySequence(k) for k in spec.keys]
            keys = [k for k in keys if not k.isEmpty()]
            unique = list(dict.fromkeys(k.toString() for k in keys))
            action.setShortcuts([QKeySequence(k) for k in unique])
            if spec.icon:
                action.setIcon(icon(spec.icon))
            tip = spec.tip or spec.text.replace("&", "").rstrip("…")
            if unique and "(" not in tip:
                tip += f" ({QKeySequence(unique[0]).toString(QKeySequence.SequenceFormat.NativeText)})"
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.setCheckable(spec.checkable)
            self._by_name[spec.name] = action
        self.tools = QActionGroup(parent)
        self.tools.setExclusive(True)
        for name in ("tool_select", "tool_rect", "tool_rotated", "tool_polygon", "tool_pan"):
            self.tools.addAction(self._by_name[name])
        self._by_name["tool_select"].setChecked(True)
        self._by_name["show_text"].setChecked(True)
        parent.addActions(list(self._by_name.values()))

    def __getitem__(self, name: str) -> QAction:
        return self._by_name[name]

    def __getattr__(self, name: str) -> QAction:
        try:
            return self.__dict__["_by_name"][name]
        except KeyError:
            raise AttributeError(name) from None

    def all(self) -> dict[str, QAction]:
        return dict(self._by_name)

    def shortcut_table(self) -> list[tuple[str, str, str]]:
        """(group, action, keys) rows for the shortcuts dialog and the docs."""
        rows = []
        for spec in SPECS:
            action = self._by_name[spec.name]
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            if keys:
                rows.append((spec.group, spec.text.replace("&", ""), keys))
        return rows
