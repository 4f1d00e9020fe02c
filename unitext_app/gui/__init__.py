"""UniText's desktop window (PySide6).

Kept apart from the engine: nothing here imports torch. Recognition runs in a worker thread
(:mod:`unitext_app.gui.workers`) that imports the recognizer lazily. The entry point is
:func:`unitext_app.gui.app.run_gui`.
"""
