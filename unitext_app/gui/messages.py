"""Every question and warning the window asks, in one place (tests replace these)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def warn(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    QMessageBox.warning(parent, title, text + (f"\n\n{details}" if details else ""))


def inform(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def ask_save(parent: QWidget | None, name: str) -> str:
    """'save', 'discard' or 'cancel' for unsaved changes."""
    B = QMessageBox.StandardButton
    answer = QMessageBox.question(parent, "Unsaved changes", f"Save the changes to {name}?",
                                  B.Save | B.Discard | B.Cancel, B.Save)
    return {B.Save: "save", B.Discard: "discard"}.get(answer, "cancel")


def ask_recover(parent: QWidget | None, description: str) -> str:
    """'recover', 'discard' or 'later' for an autosave left by a session that did not end."""
    box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work?",
                      "UniText did not close properly last time. An autosave with unsaved work "
                      "was found:\n\n" + description, parent=parent)
    recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(recover)
    box.exec()
    clicked = box.clickedButton()
    return "recover" if clicked is recover else "discard" if clicked is discard else "later"


def ask_model_settings(parent: QWidget | None, text: str) -> bool:
    """Recognition failed for want of a model or device: True to open the Settings dialog."""
    B = QMessageBox.StandardButton
    answer = QMessageBox.warning(parent, "Recognition", text + "\n\nOpen Settings now?",
                                 B.Open | B.Close, B.Open)
    return answer == B.Open
