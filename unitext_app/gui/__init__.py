"""UniText's desktop window (PySide6).

Kept apart from the engine: nothing here imports torch. Recognition runs in a worker thread
(:mod:`unitext_app.gui.workers`) that imports the recognizer lazily. The entry point is
:func:`unitext_app.gui.app.run_gui`.
"""

from . import _compat  # noqa: E402,F401  (PySide6 6.12 on Python 3.11: see _compat)
