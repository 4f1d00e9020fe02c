"""The real window: open an image, draw each kind of region on the canvas with mouse events,
edit them, and check that undo/redo restores every edit."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from engine.geometry import PolygonRegion, RectRegion, RotatedRectRegion
from unitext_app.document import TextRegion

from gui_helpers import click, double_click, drag, move, open_and_wait, press, release, viewport_point

pytestmark = pytest.mark.gui


@pytest.fixture
def opened(window, qtbot, image_file):
    open_and_wait(qtbot, window, image_file)
    window.canvas.set_zoom(1.0)
    window.canvas.horizontalScrollBar().setValue(window.canvas.horizontalScrollBar().minimum())
    window.canvas.verticalScrollBar().setValue(window.canvas.verticalScrollBar().minimum())
    return window


def regions(window):
    return window.page.regions


def add_rect(window, x=40, y=40, w=300, h=30) -> TextRegion:
    window.canvas.set_tool("rect")
    vp = window.canvas.viewport()
    drag(vp, viewport_point(window, x, y), viewport_point(window, x + w, y + h))
    window.canvas.set_tool("select")
    return regions(window)[-1]


def test_open_image_shows_page(opened):
    w = opened
    assert len(w.doc.pages) == 1
    page = w.page
    assert (page.width, page.height) == (640, 400)
    assert w.page_label.text() == "Page 1 / 1"
    assert w.zoom_label.text() == "100%"
    assert "page.png" in w.windowTitle() and "UniText" in w.windowTitle()


def test_draw_rect_undo_redo(opened):
    w = opened
    region = add_rect(w)
    assert isinstance(region.shape, RectRegion)
    assert (region.shape.x, region.shape.y, region.shape.w, region.shape.h) == pytest.approx((40, 40, 300, 30), abs=1.5)
    assert w.selection.ids == [region.id], "a new region is selected"
    assert w.list_model.rowCount() == 1
    w.undo_action.trigger()
    assert regions(w) == [] and w.list_model.rowCount() == 0
    w.redo_action.trigger()
    assert [r.id for r in regions(w)] == [region.id]
    assert w.windowTitle().endswith(w.windowTitle()) and w.isWindowModified()


def test_draw_rotated_rect_and_polygon_via_toolbar_shortcuts(opened):
    w = opened
    vp = w.canvas.viewport()
    w.canvas.setFocus()
    QTest.keyClick(w, Qt.Key.Key_T)
    assert w.canvas.tool == "rotated" and w.act.tool_rotated.isChecked()
    drag(vp, viewport_point(w, 100, 200), viewport_point(w, 400, 200))
    move(vp, viewport_point(w, 250, 220), Qt.MouseButton.NoButton)
    click(vp, viewport_point(w, 250, 220))
    rot = regions(w)[-1].shape
    assert isinstance(rot, RotatedRectRegion)
    assert (rot.cx, rot.cy, rot.w, rot.h, rot.angle) == pytest.approx((250, 200, 300, 40, 0), abs=1.5)

    QTest.keyClick(w, Qt.Key.Key_P)
    assert w.canvas.tool == "polygon"
    for x, y in [(50, 300), (250, 290), (260, 340)]:
        click(vp, viewport_point(w, x, y))
    press(vp, viewport_point(w, 60, 350))
    release(vp, viewport_point(w, 60, 350))
    double_click(vp, viewport_point(w, 60, 350))
    release(vp, viewport_point(w, 60, 350))
    poly = regions(w)[-1].shape
    assert isinstance(poly, PolygonRegion) and len(poly.points) == 4
    assert len(regions(w)) == 2
    assert w.undo.count() == 2


def test_move_and_resize_then_undo_restores_geometry(opened):
    w = opened
    region = add_rect(w, 40, 40, 300, 30)
    original = region.shape
    vp = w.canvas.viewport()
    drag(vp, viewport_point(w, 190, 55), viewport_point(w, 210, 85))  # move by (20, 30)
    moved = regions(w)[0].shape
    assert (moved.x, moved.y) == pytest.approx((60, 70), abs=1.5)
    # resize by the bottom-right handle (the region is still selected)
    drag(vp, viewport_point(w, moved.x + moved.w, moved.y + moved.h), viewport_point(w, 420, 130))
    resized = regions(w)[0].shape
    assert (resized.x, resized.y) == pytest.approx((60, 70), abs=1.5)
    assert (resized.w, resized.h) == pytest.approx((360, 60), abs=1.5)
    assert w.undo.undoText() == "Resize region"
    w.undo.undo()
    assert regions(w)[0].shape == moved
    w.undo.undo()
    assert regions(w)[0].shape == original
    item = w.canvas.region_item(region.id)
    assert item.shape_ == original and item.pos() == QPointF(0, 0)
    w.undo.redo()
    w.undo.redo()
    assert regions(w)[0].shape == resized


def test_rotate_by_handle_and_keys_undo(opened):
    w = opened
    w.canvas.set_tool("rotated")
    vp = w.canvas.viewport()
    drag(vp, viewport_point(w, 200, 200), viewport_point(w, 400, 200))
    click(vp, viewport_point(w, 300, 215))
    region = regions(w)[-1]
    w.canvas.set_tool("select")
    w.selection.set([region.id])
    handle = w.canvas.region_item(region.id).handle_named("rotate")
    drag(vp, w.canvas.mapFromScene(handle.scenePos()), viewport_point(w, 400, 200))
    assert regions(w)[0].shape.angle == pytest.approx(90, abs=1.5)
    w.canvas.setFocus()
    QTest.keyClick(w, Qt.Key.Key_BracketRight)
    QTest.keyClick(w, Qt.Key.Key_BracketRight)
    assert regions(w)[0].shape.angle == pytest.approx(92, abs=1.5)
    w.undo.undo()  # the two key presses merge into one step
    assert regions(w)[0].shape.angle == pytest.approx(90, abs=1.5)
    w.undo.undo()
    assert regions(w)[0].shape.angle == pytest.approx(0, abs=0.01)


def test_nudge_with_arrows(opened):
    w = opened
    region = add_rect(w)
    start = region.shape
    w.canvas.setFocus()
    QTest.keyClick(w.canvas, Qt.Key.Key_Right)
    QTest.keyClick(w.canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    s = regions(w)[0].shape
    assert (s.x, s.y) == pytest.approx((41, 50), abs=1.5)
    w.undo.undo()  # consecutive nudges are one undo step
    assert regions(w)[0].shape == start


def test_delete_and_undo(opened):
    w = opened
    a = add_rect(w, 40, 40)
    b = add_rect(w, 40, 130)
    w.selection.set([a.id, b.id])
    assert w.canvas.selected_ids() == [a.id, b.id]
    w.act.delete.trigger()
    assert regions(w) == []
    w.undo.undo()
    assert [r.id for r in regions(w)] == [a.id, b.id]


def test_multi_select_with_ctrl_click_and_move_together(opened):
    w = opened
    a = add_rect(w, 40, 40, 200, 30)
    b = add_rect(w, 40, 130, 200, 30)
    vp = w.canvas.viewport()
    click(vp, viewport_point(w, 100, 55))
    click(vp, viewport_point(w, 100, 145), modifiers=Qt.KeyboardModifier.ControlModifier)
    assert w.selection.ids == [a.id, b.id]
    assert w.region_view.selected_ids() == [a.id, b.id]
    drag(vp, viewport_point(w, 100, 55), viewport_point(w, 110, 65))
    assert [r.shape.x for r in regions(w)] == pytest.approx([50, 50], abs=1.5)
    assert w.undo.undoText() == "Move 2 regions"
    w.undo.undo()
    assert [r.shape.x for r in regions(w)] == pytest.approx([40, 40], abs=0.01)


def test_selection_syncs_both_ways(opened):
    w = opened
    a = add_rect(w, 40, 40)
    b = add_rect(w, 40, 130)
    # canvas -> list
    click(w.canvas.viewport(), viewport_point(w, 100, 55))
    assert w.region_view.selected_ids() == [a.id]
    assert w.text_panel.region_id == a.id
    # list -> canvas
    rect = w.region_view.visualRect(w.list_model.index(1))
    QTest.mouseClick(w.region_view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    assert w.canvas.selected_ids() == [b.id]
    assert w.selection.ids == [b.id]
    assert w.text_panel.region_id == b.id


def test_reorder_with_actions_and_drop(opened):
    w = opened
    a, b, c = (add_rect(w, 40, y) for y in (40, 130, 220))
    w.selection.set([c.id])
    w.act.move_up.trigger()
    assert [r.id for r in regions(w)] == [a.id, c.id, b.id]
    assert w.region_view.selected_ids() == [c.id], "selection survives the reorder"
    assert w.canvas.region_item(c.id).order == 2
    w.act.move_down.trigger()
    assert [r.id for r in regions(w)] == [a.id, b.id, c.id]
    # drag-and-drop: drop row 0 (a) below the last row
    view = w.region_view
    mime = w.list_model.mimeData([w.list_model.index(0)])
    pos = view.visualRect(w.list_model.index(2)).center() + QPoint(0, 20)
    event = QDropEvent(QPointF(pos), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    view.dropEvent(event)
    assert [r.id for r in regions(w)] == [b.id, c.id, a.id]
    assert w.list_model.rowCount() == 3
    w.undo.undo()
    assert [r.id for r in regions(w)] == [a.id, b.id, c.id]
    # sort by position is one undoable step too
    w.undo.push(__import__("unitext_app.gui.commands", fromlist=["Reorder"]).Reorder(w.doc, w.page.id, [c.id, a.id, b.id]))
    w.act.sort.trigger()
    assert [r.id for r in regions(w)] == [a.id, b.id, c.id]


def test_edit_text_in_list_marks_corrected(opened, qtbot):
    w = opened
    region = add_rect(w)
    w.doc.page(w.page.id).regions[0].machine_text = "HELL0"
    w.doc.page(w.page.id).regions[0].confidence = 0.6
    w.doc.page(w.page.id).regions[0].char_confidences = [0.9, 0.9, 0.9, 0.9, 0.2]
    view = w.region_view
    index = w.list_model.index(0)
    view.edit(index)
    editor = view.findChild(QLineEdit, "regionTextEditor")
    assert editor is not None and editor.text() == "HELL0"
    editor.setText("HELLO")
    QTest.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits through a queued call
    qtbot.waitUntil(lambda: regions(w)[0].corrected_text is not None)
    r = regions(w)[0]
    assert r.corrected_text == "HELLO" and r.machine_text == "HELL0" and r.is_corrected
    assert w.undo.undoText() == "Edit transcription"
    w.undo.undo()
    assert regions(w)[0].corrected_text is None


def test_edit_text_in_panel_highlights_and_corrects(opened, qtbot):
    w = opened
    region = add_rect(w)
    r = regions(w)[0]
    r.machine_text, r.confidence, r.char_confidences = "Pond", 0.7, [0.9, 0.2, 0.9, 0.9]
    w.selection.set([])
    w.selection.set([region.id])
    edit = w.text_panel.editor
    assert edit.toPlainText() == "Pond"
    cursor = edit.textCursor()
    cursor.setPosition(2)  # after "Po": the char format of "o"
    assert cursor.charFormat().background().color().alpha() > 0, "low-confidence char highlighted"
    w.act.edit_text.trigger()
    QTest.keyClicks(edit, "Pond!")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert regions(w)[0].corrected_text == "Pond!"
    assert w.text_panel.revert_button.isEnabled()
    w.text_panel.revert_button.click()
    assert regions(w)[0].corrected_text is None
    w.undo.undo()
    assert regions(w)[0].corrected_text == "Pond!"


def test_typing_back_the_machine_text_is_no_correction(opened):
    w = opened
    region = add_rect(w)
    r = regions(w)[0]
    r.machine_text = "abc"
    w._on_text_edit(region.id, "abd")
    assert regions(w)[0].is_corrected
    w._on_text_edit(region.id, "abc")
    assert regions(w)[0].corrected_text is None


def test_drop_files_on_window_opens_them(window, qtbot, tmp_path):
    from gui_helpers import write_image
    a = write_image(tmp_path / "a.png")
    b = write_image(tmp_path / "b.jpg")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(a)), QUrl.fromLocalFile(str(b))])
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: len(window.doc.pages) == 2)
    assert window.pages_dock.isVisible()
    assert window.page_list.count() == 2
    assert window.page_label.text() == "Page 1 / 2"
    window.act.next_page.trigger()
    assert window.current == 1 and window.page_label.text() == "Page 2 / 2"
