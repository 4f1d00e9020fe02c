"""Run Python's cyclic garbage collector on the GUI thread only.

The window starts Python worker threads (image loading, recognition, export). Whichever
thread happens to allocate when a collection is due runs it, and a collection can finalise
the Python wrapper of a Qt object (a closed dialog, a widget in a reference cycle), calling
its C++ destructor from that worker thread: Qt objects must die on their own thread, and this
crashes the process at random (seen as a segfault "Garbage-collecting" inside a pool thread).
So automatic collection is turned off and a GUI-thread timer collects instead, generation by
generation with Python's own thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

INTERVAL_MS = 250


class MainThreadGC(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)
        gc.disable()

    def check(self) -> None:
        t0, t1, t2 = self.threshold
        c0, c1, c2 = gc.get_count()
        if c0 > t0:
            gc.collect(0)
            if c1 > t1:
                gc.collect(1)
                if c2 > t2:
                    gc.collect(2)

    def uninstall(self) -> None:
        self.timer.stop()
        gc.enable()
        gc.collect()


_guard: MainThreadGC | None = None


def install() -> MainThreadGC | None:
    """Idempotent; needs the QApplication and must be called on the GUI thread."""
    global _guard
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return None
    if _guard is None:
        _guard = MainThreadGC(app)
    return _guard


def uninstall() -> None:
    """Back to automatic collection (tests call this when their GUI module ends)."""
    global _guard
    if _guard is not None:
        _guard.uninstall()
        _guard.deleteLater()
        _guard = None
