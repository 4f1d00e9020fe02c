"""The main window: assembles the canvas, the docks, the actions and the background services,
and turns what the user does into undo commands.

Everything with a job of its own lives elsewhere (canvas, region list, text panel, page
store, recognition worker, autosave, dialogs); this module wires them together.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QUrl
from PySide6.QtGui import (QCloseEvent, QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence,
                           QUndoStack)
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QHBoxLayout, QLabel,
                               QMainWindow, QMessageBox, QProgressBar, QToolBar,
                               QToolButton, QVBoxLayout, QWidget)

from engine.geometry import Region
from unitext_app.document import Document, Page, TextRegion

from . import gc_guard, messages, shape_ops
from .actions import Actions
from .appinfo import APP_NAME, app_version, user_log_dir, window_title
from .autosave import Autosaver
from .canvas import Canvas
from .commands import (AddRegion, ApplyReadings, DeleteRegions, EditText, Reorder, SetShapes)
from .dialogs.export_dialog import ExportDialog
from .dialogs.settings_dialog import SettingsDialog
from .dialogs.shortcuts_dialog import ShortcutsDialog
from .document_model import DocumentModel, RegionReading
from .first_run import FirstRunHint
from .loaders import ImageLoader, PageSpec
from .ordering import shift
from .page_list import PageList
from .page_store import PageStore
from .region_list import RegionDelegate, RegionListModel, RegionListView
from .selection import RegionSelection
from .settings import AppSettings
from .style import icon
from .text_panel import TextPanel
from .workers import PageJob, RecognitionJob, RecognitionService, RecognizerFactory

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".bmp", ".webp", ".gif")
PROJECT_SUFFIX = ".unitext.json"
OPEN_FILTER = ("Images and projects (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + f" *{PROJECT_SUFFIX});;"
               "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ");;"
               f"UniText projects (*{PROJECT_SUFFIX});;All files (*)")
NUDGE_MERGE, ROTATE_MERGE = 1001, 1002


def is_project_file(path: str) -> bool:
    return path.lower().endswith(".json")


class MainWindow(QMainWindow):
    """``recognizer_factory`` is the injection point for tests and embedders (see workers)."""

    def __init__(self, recognizer_factory: RecognizerFactory | None = None,
                 settings: AppSettings | None = None, autosave_folder: Path | None = None) -> None:
        super().__init__()
        gc_guard.install()  # before any worker thread starts: see gc_guard
        self.setObjectName("mainWindow")
        self.setWindowIcon(icon("unitext"))
        self.settings = settings or AppSettings()
        self.doc = DocumentModel(self)
        self.undo = QUndoStack(self)
        self.selection = RegionSelection(self)
        self.loader = ImageLoader(self)
        self.store = PageStore(self.loader, self)
        self.recognition = RecognitionService(recognizer_factory, self)
        self.autosaver = Autosaver(self.doc, self.settings.autosave_seconds, autosave_folder, parent=self)
        self.current = -1
        self._job: RecognitionJob | None = None
        self._job_results: list[tuple[str, object, str]] = []
        self._probe_go_to: dict[int, bool] = {}
        self._syncing_list = False
        self._warned_pages: set[str] = set()
        self._closing = False

        self.act = Actions(self)
        self._build_central()
        self._build_docks()
        self._build_toolbar_and_menus()
        self._build_status_bar()
        self._connect()
        self.setAcceptDrops(True)
        self._restore_window()
        self._update_title()
        self._update_actions()
        self._update_status()

    # == construction ===================================================================================
    def _build_central(self) -> None:
        self.canvas = Canvas()
        self.canvas.setAcceptDrops(False)
        self.canvas.viewport().setAcceptDrops(False)
        self.setCentralWidget(self.canvas)
        self.hint = FirstRunHint(self.canvas)
        self.hint.setVisible(not self.settings.first_run_hint_dismissed)
        self.hint.dismissed.connect(self._hint_dismissed)
        self.canvas.installEventFilter(self)

    def _build_docks(self) -> None:
        low = lambda: self.settings.low_confidence  # noqa: E731
        self.list_model = RegionListModel(self.doc, self.store.region_thumbnail, low, self)
        self.region_view = RegionListView()
        self.region_view.setModel(self.list_model)
        self.region_view.setItemDelegate(RegionDelegate(low, self.region_view))
        bar = QToolBar()
        bar.setIconSize(QSize(18, 18))
        bar.setObjectName("regionListToolbar")
        for name in ("move_up", "move_down", "sort", "delete", "recognise_selected"):
            bar.addAction(self.act[name])
        self.region_count = QLabel("")
        self.region_count.setObjectName("regionCount")
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding, spacer.sizePolicy().verticalPolicy())
        bar.addWidget(spacer)
        bar.addWidget(self.region_count)
        holder = QWidget()
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(bar)
        lay.addWidget(self.region_view)
        self.regions_dock = self._dock("Regions", "regionsDock", holder, Qt.DockWidgetArea.RightDockWidgetArea)

        self.text_panel = TextPanel()
        self.text_panel.low_confidence = self.settings.low_confidence
        self.text_dock = self._dock("Transcription", "textDock", self.text_panel, Qt.DockWidgetArea.RightDockWidgetArea)

        self.page_list = PageList()
        self.pages_dock = self._dock("Pages", "pagesDock", self.page_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.pages_dock.hide()
        self.resizeDocks([self.regions_dock], [380], Qt.Orientation.Horizontal)
        self.resizeDocks([self.regions_dock, self.text_dock], [600, 170], Qt.Orientation.Vertical)
        self.resizeDocks([self.pages_dock], [170], Qt.Orientation.Horizontal)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_toolbar_and_menus(self) -> None:
        a = self.act
        self.undo_action = self.undo.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.undo_action.setIcon(icon("undo"))
        self.undo_action.setObjectName("action_undo")
        self.redo_action = self.undo.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setIcon(icon("redo"))
        self.redo_action.setObjectName("action_redo")
        self.addActions([self.undo_action, self.redo_action])

        tb = QToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setIconSize(QSize(20, 20))
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for item in (a.open, a.save, a.export, None, self.undo_action, self.redo_action, None,
                     a.tool_select, a.tool_rect, a.tool_rotated, a.tool_polygon, a.tool_pan, None):
            tb.addSeparator() if item is None else tb.addAction(item)
        for name in ("recognise_selected", "recognise_page"):
            tb.addAction(a[name])
            button = tb.widgetForAction(a[name])
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        a.recognise_selected.setIconText("Recognise")
        a.recognise_page.setIconText("Page")
        tb.addSeparator()
        for item in (a.zoom_out, a.zoom_in, a.fit, a.actual, None, a.previous_page, a.next_page, None, a.settings):
            tb.addSeparator() if item is None else tb.addAction(item)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.main_toolbar = tb

        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        file_menu.addAction(a.open)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        file_menu.addSeparator()
        for name in ("save", "save_as", "export"):
            file_menu.addAction(a[name])
        file_menu.addSeparator()
        file_menu.addAction(a.remove_page)
        file_menu.addSeparator()
        file_menu.addAction(a.quit)

        edit = mb.addMenu("&Edit")
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        for name in ("delete", "select_all", "edit_text", None, "move_up", "move_down", "sort", None,
                     "rotate_left", "rotate_right", None, "settings"):
            edit.addSeparator() if name is None else edit.addAction(a[name])

        tools = mb.addMenu("&Tools")
        for name in ("tool_select", "tool_rect", "tool_rotated", "tool_polygon", "tool_pan"):
            tools.addAction(a[name])

        rec = mb.addMenu("&Recognise")
        for name in ("recognise_selected", "recognise_page", "recognise_all", None, "cancel"):
            rec.addSeparator() if name is None else rec.addAction(a[name])

        view = mb.addMenu("&View")
        for name in ("zoom_in", "zoom_out", "fit", "actual", None, "previous_page", "next_page", None, "show_text"):
            view.addSeparator() if name is None else view.addAction(a[name])
        view.addSeparator()
        for dock in (self.regions_dock, self.text_dock, self.pages_dock):
            view.addAction(dock.toggleViewAction())
        view.addAction(self.main_toolbar.toggleViewAction())
        view.addSeparator()
        view.addAction(a.show_hint)

        help_menu = mb.addMenu("&Help")
        for name in ("shortcuts", "log_folder", None, "about"):
            help_menu.addSeparator() if name is None else help_menu.addAction(a[name])

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        sb.setObjectName("statusBar")
        self.progress = QProgressBar()
        self.progress.setObjectName("recognitionProgress")
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.cancel_button = QToolButton()
        self.cancel_button.setDefaultAction(self.act.cancel)
        self.cancel_button.setAutoRaise(True)
        self.progress_box = QWidget()
        box = QHBoxLayout(self.progress_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.progress)
        box.addWidget(self.cancel_button)
        self.progress_box.hide()
        self.cursor_label = QLabel("")
        self.cursor_label.setMinimumWidth(110)
        self.page_label = QLabel("")
        self.page_label.setObjectName("pageLabel")
        self.zoom_label = QLabel("")
        self.zoom_label.setObjectName("zoomLabel")
        self.zoom_label.setMinimumWidth(52)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        sb.addPermanentWidget(self.progress_box)
        sb.addPermanentWidget(self.cursor_label)
        sb.addPermanentWidget(self.page_label)
        sb.addPermanentWidget(self.zoom_label)

    def _connect(self) -> None:
        a = self.act
        a.open.triggered.connect(self.open_dialog)
        a.save.triggered.connect(self.save)
        a.save_as.triggered.connect(self.save_as)
        a.export.triggered.connect(self.open_export)
        a.remove_page.triggered.connect(self.remove_current_page)
        a.quit.triggered.connect(self.close)
        a.delete.triggered.connect(self.delete_selected)
        a.select_all.triggered.connect(self.select_all)
        a.edit_text.triggered.connect(self.edit_text)
        a.move_up.triggered.connect(lambda: self.move_selected(-1))
        a.move_down.triggered.connect(lambda: self.move_selected(1))
        a.sort.triggered.connect(self.sort_regions)
        a.rotate_left.triggered.connect(lambda: self.rotate_selected(-1.0))
        a.rotate_right.triggered.connect(lambda: self.rotate_selected(1.0))
        a.settings.triggered.connect(self.open_settings)
        for tool in ("select", "rect", "rotated", "polygon", "pan"):
            a[f"tool_{tool}"].triggered.connect(lambda checked=False, t=tool: self.canvas.set_tool(t))
        a.recognise_selected.triggered.connect(lambda: self.recognise("selected"))
        a.recognise_page.triggered.connect(lambda: self.recognise("page"))
        a.recognise_all.triggered.connect(lambda: self.recognise("all"))
        a.cancel.triggered.connect(self.cancel_recognition)
        a.zoom_in.triggered.connect(self.canvas.zoom_in)
        a.zoom_out.triggered.connect(self.canvas.zoom_out)
        a.fit.triggered.connect(self.canvas.fit_to_window)
        a.actual.triggered.connect(self.canvas.actual_size)
        a.next_page.triggered.connect(lambda: self.set_current_page(self.current + 1))
        a.previous_page.triggered.connect(lambda: self.set_current_page(self.current - 1))
        a.show_text.toggled.connect(self.canvas.set_show_text)
        a.show_hint.triggered.connect(self.show_hint)
        a.shortcuts.triggered.connect(self.show_shortcuts)
        a.log_folder.triggered.connect(self.open_log_folder)
        a.about.triggered.connect(self.show_about)

        self.canvas.shapeDrawn.connect(self._on_shape_drawn)
        self.canvas.shapesEdited.connect(self._on_shapes_edited)
        self.canvas.nudgeRequested.connect(self._on_nudge)
        self.canvas.deleteRequested.connect(self.delete_selected)
        self.canvas.selectionChangedIds.connect(lambda ids: self.selection.set(ids, self.canvas))
        self.canvas.zoomChanged.connect(self._on_zoom)
        self.canvas.cursorMoved.connect(self._on_cursor)
        self.canvas.toolChanged.connect(self._on_tool_changed)
        self.canvas.hintChanged.connect(lambda text: self.statusBar().showMessage(text) if text else None)

        self.region_view.selectionModel().selectionChanged.connect(self._on_list_selection)
        self.region_view.reorderRequested.connect(self._on_reorder_requested)
        self.list_model.textEditRequested.connect(self._on_text_edit)
        self.text_panel.textCommitted.connect(self._on_text_edit)
        self.text_panel.revertRequested.connect(lambda rid: self._on_text_edit(rid, None))
        self.page_list.pageActivated.connect(self.set_current_page)
        self.selection.changed.connect(self._on_selection)

        self.doc.documentReset.connect(self._on_document_reset)
        self.doc.pagesChanged.connect(self._on_pages_changed)
        self.doc.regionsChanged.connect(self._on_regions_changed)
        self.doc.regionUpdated.connect(self._on_region_updated)
        self.doc.modifiedChanged.connect(lambda _m: self._update_title())

        self.loader.signals.probed.connect(self._on_probed)
        self.store.imageChanged.connect(self._on_image_changed)
        self.store.pageFailed.connect(self._on_page_failed)
        self.store.thumbnailChanged.connect(self._on_thumbnail)

        w = self.recognition.worker
        w.progress.connect(self._on_progress)
        w.status.connect(self._on_worker_status)
        w.results.connect(self._on_results)
        w.finished.connect(self._on_recognition_finished)
        self.autosaver.saved.connect(lambda path: log.info("autosaved to %s", path))
        self.undo.indexChanged.connect(lambda _i: self._update_actions())

    def _restore_window(self) -> None:
        geometry = self.settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1440, 900)
            screen = QApplication.primaryScreen()
            if screen is not None:
                available = screen.availableGeometry()
                self.resize(min(1440, available.width() - 40), min(900, available.height() - 60))
                frame = self.frameGeometry()
                frame.moveCenter(available.center())
                self.move(frame.topLeft())
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

    # == helpers ========================================================================================
    @property
    def page(self) -> Page | None:
        pages = self.doc.pages
        return pages[self.current] if 0 <= self.current < len(pages) else None

    def _page_id(self) -> str | None:
        page = self.page
        return page.id if page is not None else None

    def _region(self, region_id: str) -> TextRegion | None:
        page = self.page
        if page is None:
            return None
        try:
            return page.region(region_id)
        except KeyError:
            return None

    def _update_title(self) -> None:
        if self.doc.project_path:
            name = os.path.basename(self.doc.project_path)
        elif self.doc.pages:
            name = os.path.basename(self.doc.pages[0].image_path)
        else:
            name = ""
        self.setWindowTitle(f"{name}[*] — {window_title()}" if name else window_title())
        self.setWindowModified(self.doc.is_modified and bool(self.doc.pages))

    def _update_actions(self) -> None:
        a = self.act
        has_page = self.page is not None
        has_regions = bool(self.page and self.page.regions)
        has_sel = bool(self.selection.ids)
        busy = self.recognition.busy
        for name in ("save", "save_as", "export"):
            a[name].setEnabled(bool(self.doc.pages))
        a.remove_page.setEnabled(has_page)
        for name in ("delete", "move_up", "move_down", "rotate_left", "rotate_right"):
            a[name].setEnabled(has_sel)
        a.edit_text.setEnabled(self.selection.single is not None)
        a.select_all.setEnabled(has_regions)
        a.sort.setEnabled(has_regions)
        a.recognise_selected.setEnabled(has_regions and not busy)
        a.recognise_page.setEnabled(has_regions and not busy)
        a.recognise_all.setEnabled(bool(self.doc.pages) and not busy)
        a.cancel.setEnabled(busy)
        a.next_page.setEnabled(self.current + 1 < len(self.doc.pages))
        a.previous_page.setEnabled(self.current > 0)
        for name in ("zoom_in", "zoom_out", "fit", "actual"):
            a[name].setEnabled(has_page)

    def _update_status(self) -> None:
        n = len(self.doc.pages)
        self.page_label.setText(f"Page {self.current + 1} / {n}" if n else "No pages")
        page = self.page
        if page is None:
            self.region_count.setText("")
        else:
            done = sum(1 for r in page.regions if r.is_recognised or r.is_corrected)
            self.region_count.setText(f"{len(page.regions)} regions · {done} read  ")
        self._on_zoom(self.canvas.zoom())

    def _on_zoom(self, scale: float) -> None:
        self.zoom_label.setText(f"{round(scale * 100)}%" if self.page is not None else "")

    def _on_cursor(self, x: float, y: float) -> None:
        page = self.page
        if page is not None and 0 <= x < page.width and 0 <= y < page.height:
            self.cursor_label.setText(f"{int(x)}, {int(y)} px")
        else:
            self.cursor_label.setText("")

    def _on_tool_changed(self, tool: str) -> None:
        self.act[f"tool_{tool}"].setChecked(True)
        self._update_actions()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.canvas and event.type() == QEvent.Type.Resize and self.hint.isVisible():
            self.hint.place()
        return super().eventFilter(watched, event)

    # == opening ========================================================================================
    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open images or a project", self.settings.last_dir, OPEN_FILTER)
        if paths:
            self.settings.last_dir = os.path.dirname(paths[0])
            self.open_paths(paths)

    def open_paths(self, paths: list[str]) -> None:
        """Open projects and images (images are added to the open document as pages)."""
        paths = [os.path.abspath(p) for p in paths]
        projects = [p for p in paths if is_project_file(p)]
        images = [p for p in paths if not is_project_file(p)]
        if projects:
            if len(projects) > 1:
                messages.warn(self, "Open", "Only one project can be open at a time; opening "
                              f"{os.path.basename(projects[0])}.")
            if not self.open_project(projects[0]):
                return
        if images:
            self.add_images(images)

    def open_project(self, path: str) -> bool:
        from unitext_app.project_io import ProjectFileError, load_project
        if not self.maybe_save():
            return False
        try:
            document = load_project(path)
        except ProjectFileError as exc:
            messages.warn(self, "Cannot open project", str(exc))
            return False
        self.set_document(document, os.path.abspath(path))
        self.settings.add_recent(path)
        self.statusBar().showMessage(f"Opened {os.path.basename(path)}", 5000)
        return True

    def set_document(self, document: Document, project_path: str | None = None, modified: bool = False) -> None:
        self.undo.clear()
        self.store.clear()
        self._warned_pages.clear()
        self.doc.reset(document, project_path, modified)

    def add_images(self, paths: list[str]) -> None:
        """Probe the files in the background; their pages are added when that returns."""
        self.statusBar().showMessage(f"Opening {len(paths)} file(s)…")
        batch = self.loader.probe(paths)
        self._probe_go_to[batch] = True

    def _on_probed(self, batch: int, specs: list[PageSpec], errors: list[tuple[str, str]]) -> None:
        go_to = self._probe_go_to.pop(batch, True)
        existing = {(p.image_path, p.frame): i for i, p in enumerate(self.doc.pages)}
        new_pages: list[Page] = []
        first_index = None
        for spec in specs:
            key = (spec.path, spec.frame)
            if key in existing:
                first_index = existing[key] if first_index is None else first_index
                continue
            new_pages.append(Page(image_path=spec.path, width=spec.width, height=spec.height, frame=spec.frame))
        for path in dict.fromkeys(s.path for s in specs):
            self.settings.add_recent(path)
        if new_pages:
            start = len(self.doc.pages)
            self.doc.insert_pages(start, new_pages)
            first_index = start if first_index is None else first_index
        if go_to and first_index is not None:
            self.set_current_page(first_index)
        if specs:
            self.statusBar().showMessage(f"Opened {len(new_pages)} page(s)", 4000)
        else:
            self.statusBar().clearMessage()
        if errors:
            lines = "\n".join(f"• {os.path.basename(p)}: {reason}" for p, reason in errors)
            messages.warn(self, "Cannot open image" if len(errors) == 1 else "Cannot open images",
                          f"These files could not be opened; everything else stays open.\n\n{lines}")

    def remove_current_page(self) -> None:
        page = self.page
        if page is None:
            return
        if page.regions:
            B = QMessageBox.StandardButton
            answer = QMessageBox.question(self, "Remove page", f"Remove page {self.current + 1} and its "
                                          f"{len(page.regions)} region(s) from the project?", B.Yes | B.No, B.No)
            if answer != B.Yes:
                return
        index = self.current
        self.undo.clear()  # commands may name the page; removing it is not undoable
        self.store.forget([page.id])
        self.doc.remove_pages([page.id])
        self.set_current_page(min(index, len(self.doc.pages) - 1))

    # -- drag and drop of files ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802, ANN001
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    # -- recent files --------------------------------------------------------------------------------
    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        recent = [p for p in self.settings.recent_files if os.path.exists(p)]
        for n, path in enumerate(recent, 1):
            action = menu.addAction(f"&{n % 10}  {os.path.basename(path)}")
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_paths([p]))
        if not recent:
            menu.addAction("No recent files").setEnabled(False)
        menu.addSeparator()
        menu.addAction("Clear list", self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings.clear_recent()
        self._fill_recent_menu()

    # == pages ==========================================================================================
    def set_current_page(self, index: int) -> None:
        pages = self.doc.pages
        if pages and not 0 <= index < len(pages):
            return
        self.text_panel.commit()
        if not pages:
            self.current = -1
            self.canvas.set_page(None)
            self.list_model.set_page(None)
        else:
            self.current = index
            page = pages[index]
            image = self.store.request(page)
            self.canvas.set_page(image)
            self.canvas.sync_regions(page.regions, self.settings.low_confidence)
            self.list_model.set_page(page.id)
            self.page_list.set_current(index)
            failure = self.store.failure(page.id)
            if failure:
                self.statusBar().showMessage(failure)
        self.selection.set([], self)
        self.text_panel.show_region(None)
        self._update_status()
        self._update_actions()

    def _on_document_reset(self) -> None:
        self._on_pages_changed()
        self.set_current_page(0 if self.doc.pages else -1)
        self._update_title()

    def _on_pages_changed(self) -> None:
        pages = self.doc.pages
        self.page_list.set_pages(pages, self.current)
        for page in pages:
            thumb = self.store.page_thumbnail(page)
            if thumb is not None:
                self.page_list.set_thumbnail(page.id, thumb)
        if len(pages) > 1 and not self.pages_dock.isVisible() and not self._closing:
            self.pages_dock.show()
        self._update_title()
        self._update_status()
        self._update_actions()

    def _on_thumbnail(self, page_id: str) -> None:
        for page in self.doc.pages:
            if page.id == page_id:
                thumb = self.store.page_thumbnail(page)
                if thumb is not None:
                    self.page_list.set_thumbnail(page_id, thumb)

    def _on_image_changed(self, page_id: str) -> None:
        if page_id == self._page_id():
            self.canvas.refresh_image()
            self.list_model.refresh_thumbnails()

    def _on_page_failed(self, page_id: str, reason: str) -> None:
        if page_id in self._warned_pages:
            return
        self._warned_pages.add(page_id)
        if page_id == self._page_id():
            self.statusBar().showMessage(reason)
        messages.warn(self, "Cannot load page", f"{reason}\n\nThe other pages stay open.")

    # == region edits (all through the undo stack) =====================================================
    def _on_shape_drawn(self, shape: Region) -> None:
        page_id = self._page_id()
        if page_id is None:
            return
        region = TextRegion(shape=shape)
        self.undo.push(AddRegion(self.doc, page_id, region))
        self.selection.set([region.id], None)

    def _on_shapes_edited(self, changes: dict, label: str) -> None:
        page_id = self._page_id()
        if page_id is not None and changes:
            self.undo.push(SetShapes(self.doc, page_id, changes, label))

    def _on_nudge(self, dx: float, dy: float) -> None:
        self._transform_selected(lambda s: shape_ops.translate(s, dx, dy), "Nudge regions", NUDGE_MERGE)

    def rotate_selected(self, degrees: float) -> None:
        self._transform_selected(lambda s: shape_ops.rotate_by(s, degrees), "Rotate regions", ROTATE_MERGE)

    def _transform_selected(self, fn, label: str, merge: int) -> None:  # noqa: ANN001
        page_id = self._page_id()
        ids = self.selection.ids
        if page_id is None or not ids:
            return
        changes = {}
        for rid in ids:
            region = self._region(rid)
            if region is not None:
                changes[rid] = (region.shape, fn(region.shape))
        if changes:
            self.undo.push(SetShapes(self.doc, page_id, changes, label, merge_key=merge))

    def delete_selected(self) -> None:
        page_id = self._page_id()
        ids = self.selection.ids
        if page_id is not None and ids:
            self.undo.push(DeleteRegions(self.doc, page_id, ids))

    def select_all(self) -> None:
        page = self.page
        if page is not None:
            self.selection.set([r.id for r in page.regions], None)

    def move_selected(self, delta: int) -> None:
        page_id = self._page_id()
        if page_id is None or not self.selection.ids:
            return
        order = self.doc.region_ids(page_id)
        new = shift(order, self.selection.ids, delta)
        if new != order:
            self.undo.push(Reorder(self.doc, page_id, new, "Move up" if delta < 0 else "Move down"))

    def sort_regions(self) -> None:
        page = self.page
        if page is None:
            return
        new = shape_ops.sort_reading_order({r.id: r.shape for r in page.regions})
        if new != [r.id for r in page.regions]:
            self.undo.push(Reorder(self.doc, page.id, new, "Sort regions"))

    def _on_reorder_requested(self, order: list[str]) -> None:
        page_id = self._page_id()
        if page_id is not None:
            self.undo.push(Reorder(self.doc, page_id, order))

    def _on_text_edit(self, region_id: str, text: str | None) -> None:
        page_id = self._page_id()
        region = self._region(region_id)
        if page_id is None or region is None:
            return
        if text is not None and text == region.text:
            return
        if text is None and region.corrected_text is None:
            return
        self.undo.push(EditText(self.doc, page_id, region_id, text))

    def edit_text(self) -> None:
        if self.selection.single is not None:
            self.text_dock.show()
            self.text_panel.focus_editor()

    # -- document signals ------------------------------------------------------------------------------
    def _on_regions_changed(self, page_id: str) -> None:
        if page_id != self._page_id():
            return
        page = self.page
        assert page is not None
        self.canvas.sync_regions(page.regions, self.settings.low_confidence)
        ids = [r.id for r in page.regions]
        self.selection.retain(ids, None)
        self._apply_selection(self.selection.ids, None)
        self._update_status()
        self._update_actions()

    def _on_region_updated(self, page_id: str, region_id: str) -> None:
        if page_id != self._page_id():
            return
        region = self._region(region_id)
        if region is None:
            return
        self.canvas.update_region(region, self.settings.low_confidence)
        if self.text_panel.region_id == region_id:
            self.text_panel.show_region(region, self._order_of(region_id))
        self._update_status()

    def _order_of(self, region_id: str) -> int:
        page = self.page
        if page is None:
            return 0
        for i, r in enumerate(page.regions, 1):
            if r.id == region_id:
                return i
        return 0

    # -- selection sync ------------------------------------------------------------------------------
    def _on_list_selection(self, *_args) -> None:  # noqa: ANN002
        if not self._syncing_list:
            self.selection.set(self.region_view.selected_ids(), self.region_view)

    def _on_selection(self, ids: list[str], origin: object) -> None:
        self._apply_selection(ids, origin)

    def _apply_selection(self, ids: list[str], origin: object) -> None:
        if origin is not self.canvas:
            self.canvas.select_ids(ids)
        if origin is not self.region_view:
            self._syncing_list = True
            try:
                self.region_view.select_ids(ids)
            finally:
                self._syncing_list = False
        single = self._region(ids[0]) if len(ids) == 1 else None
        self.text_panel.show_region(single, self._order_of(single.id) if single else 0)
        self._update_actions()

    # == recognition ====================================================================================
    def recognise(self, scope: str) -> bool:
        """Read the selected regions ('selected'; the page if none), the page, or all pages."""
        if self.recognition.busy:
            self.statusBar().showMessage("Recognition is already running", 3000)
            return False
        self.text_panel.commit()
        page = self.page
        jobs: list[PageJob] = []
        if scope in ("selected", "page") and page is not None:
            wanted = set(self.selection.ids) if scope == "selected" and self.selection.ids else None
            jobs.append(self._page_job(page, wanted))
        elif scope == "all":
            jobs = [self._page_job(p, None) for p in self.doc.pages]
        jobs = [j for j in jobs if j.regions]
        job = RecognitionJob(self.recognition.new_job_id(), self.settings.model_path or None,
                             self.settings.device, self.settings.batch_size, jobs)
        if job.total == 0:
            self.statusBar().showMessage("Nothing to recognise: draw regions around the text first", 5000)
            return False
        self._job = job
        self._job_results = []
        self.progress.setRange(0, job.total)
        self.progress.setValue(0)
        self.progress.setFormat(f"%v / {job.total}")
        self.progress_box.show()
        self.statusBar().showMessage("Starting recognition…")
        self.recognition.submit(job)
        self._update_actions()
        return True

    def _page_job(self, page: Page, wanted: set[str] | None) -> PageJob:
        image = self.store.image(page.id)
        full = image.full if image is not None else None
        regions = [(r.id, r.shape) for r in page.regions if wanted is None or r.id in wanted]
        return PageJob(page.id, page.image_path, page.frame, full, regions)

    def cancel_recognition(self) -> None:
        if self.recognition.busy:
            self.recognition.cancel()
            self.act.cancel.setEnabled(False)
            self.statusBar().showMessage("Cancelling…")

    def _on_progress(self, job_id: int, done: int, total: int) -> None:
        if self._job is not None and job_id == self._job.job_id:
            self.progress.setRange(0, max(1, total))
            self.progress.setValue(done)

    def _on_worker_status(self, job_id: int, text: str) -> None:
        if self._job is not None and job_id == self._job.job_id:
            self.statusBar().showMessage(text)

    def _on_results(self, job_id: int, page_id: str, results: list, model: str) -> None:
        if self._job is not None and job_id == self._job.job_id:
            self._job_results.extend((page_id, r, model) for r in results)

    def _on_recognition_finished(self, job_id: int, cancelled: bool, error: str, kind: str) -> None:
        if self._job is None or job_id != self._job.job_id:
            return
        self._job = None
        self.progress_box.hide()
        readings: dict[tuple[str, str], RegionReading] = {}
        skipped = failed = 0
        for page_id, result, model in self._job_results:
            try:
                region = self.doc.region(page_id, result.region_id)
            except KeyError:
                skipped += 1  # deleted while being read
                continue
            if region.shape != result.shape:
                skipped += 1  # moved while being read: the reading is of the old place
                continue
            if result.error:
                failed += 1
                readings[(page_id, region.id)] = RegionReading("", 0.0, [], model, region.corrected_text)
            else:
                readings[(page_id, region.id)] = RegionReading(result.text, result.confidence,
                                                               result.char_confidences, model,
                                                               region.corrected_text)
        self._job_results = []
        if readings:
            self.undo.push(ApplyReadings(self.doc, readings))
        parts = [f"Recognised {len(readings) - failed} region(s)"]
        if failed:
            parts.append(f"{failed} could not be cut from the page")
        if skipped:
            parts.append(f"{skipped} changed meanwhile (read them again)")
        if cancelled:
            parts.insert(0, "Cancelled")
        self.statusBar().showMessage(" · ".join(parts), 8000)
        self._update_actions()
        if error:
            self._recognition_error(error, kind)

    def _recognition_error(self, error: str, kind: str) -> None:
        if kind in ("model", "device"):
            if messages.ask_model_settings(self, error):
                self.open_settings()
        else:
            messages.warn(self, "Recognition failed", error)

    # == saving, exporting ==============================================================================
    def save(self) -> bool:
        if not self.doc.project_path:
            return self.save_as()
        return self.save_to(self.doc.project_path)

    def save_as(self) -> bool:
        suggested = self.doc.project_path or ""
        if not suggested and self.doc.pages:
            first = Path(self.doc.pages[0].image_path)
            suggested = str(first.with_name(first.stem + PROJECT_SUFFIX))
        path, _ = QFileDialog.getSaveFileName(self, "Save project", suggested,
                                              f"UniText projects (*{PROJECT_SUFFIX})")
        if not path:
            return False
        if not path.lower().endswith(PROJECT_SUFFIX):
            path = (path[:-5] if path.lower().endswith(".json") else path) + PROJECT_SUFFIX
        return self.save_to(path)

    def save_to(self, path: str) -> bool:
        from unitext_app.project_io import ProjectFileError, save_project
        self.text_panel.commit()
        try:
            save_project(self.doc.document, path, app_version())
        except ProjectFileError as exc:
            messages.warn(self, "Cannot save", str(exc))
            return False
        self.autosaver.discard()
        self.doc.mark_saved(os.path.abspath(path))
        self.undo.setClean()
        self.settings.add_recent(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {os.path.basename(path)}", 4000)
        return True

    def maybe_save(self) -> bool:
        """True when it is fine to drop the open document (saved, discarded or empty)."""
        self.text_panel.commit()
        if not self.doc.is_modified or not self.doc.pages:
            return True
        name = os.path.basename(self.doc.project_path) if self.doc.project_path else "this untitled project"
        answer = messages.ask_save(self, name)
        if answer == "save":
            return self.save()
        return answer == "discard"

    def make_export_dialog(self) -> ExportDialog:
        """The Export dialog, not yet shown (tests drive it directly)."""
        self.text_panel.commit()
        dialog = ExportDialog(self.doc.document, self.doc.project_path,
                              str(self.settings.value("export/format", "")), self)
        dialog.exported.connect(self._on_exported)
        return dialog

    def open_export(self) -> None:
        if not self.doc.pages:
            return
        dialog = self.make_export_dialog()
        dialog.exec()

    def _on_exported(self, paths: list) -> None:
        dialog = self.sender()
        if isinstance(dialog, ExportDialog):
            self.settings.set_value("export/format", dialog.current_format.name)
        where = str(paths[0]) if len(paths) == 1 else f"{len(paths)} files in {os.path.dirname(str(paths[0]))}"
        self.statusBar().showMessage(f"Exported to {where}", 8000)

    # == settings, help =================================================================================
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec():
            self.apply_settings()

    def apply_settings(self) -> None:
        self.autosaver.set_interval(self.settings.autosave_seconds)
        self.text_panel.low_confidence = self.settings.low_confidence
        page = self.page
        if page is not None:
            self.canvas.sync_regions(page.regions, self.settings.low_confidence)
            self.list_model.refresh_thumbnails()
            self.region_view.viewport().update()

    def _hint_dismissed(self, forever: bool) -> None:
        if forever:
            self.settings.first_run_hint_dismissed = True

    def show_hint(self) -> None:
        self.hint.show()
        self.hint.raise_()
        self.hint.place()

    def show_shortcuts(self) -> None:
        rows = self.act.shortcut_table()
        rows[4:4] = [("Edit", "Undo", self.undo_action.shortcut().toString()),
                     ("Edit", "Redo", ", ".join(k.toString() for k in self.redo_action.shortcuts()))]
        ShortcutsDialog(rows, self).exec()

    def open_log_folder(self) -> Path:
        folder = user_log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
        return folder

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<h3>{APP_NAME} {app_version()}</h3><p>Offline OCR for text in photos and "
                          "handwriting in manuscripts, with one recognition model.</p>")

    # == recovery, closing ==============================================================================
    def offer_recovery(self) -> bool:
        """At start-up: offer the newest autosave left by a session that did not close."""
        from unitext_app.project_io import ProjectFileError, read_autosave
        found = self.autosaver.recoverable()
        if not found:
            return False
        path = found[0]
        try:
            document, project = read_autosave(path)
        except ProjectFileError as exc:
            log.warning("unreadable autosave %s: %s", path, exc)
            return False
        import datetime
        when = datetime.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        regions = sum(len(p.regions) for p in document.pages)
        name = project.name if project else "an untitled project"
        text = f"{name}: {len(document.pages)} page(s), {regions} region(s), autosaved {when}."
        answer = messages.ask_recover(self, text)
        if answer == "recover":
            self.set_document(document, str(project) if project else None, modified=True)
            self.autosaver.supersede(path)
            self.autosaver.autosave_now()
            return True
        if answer == "discard":
            path.unlink(missing_ok=True)
        return False

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.maybe_save():
            event.ignore()
            return
        self._closing = True
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.recognition.shutdown()
        self.loader.pool.clear()
        self.loader.wait(3000)
        self.autosaver.timer.stop()
        self.autosaver.discard()
        event.accept()
