"""What happens on an unhandled exception: log it, save the user's work, tell them where the
log is -- in that order, so a failing dialog cannot cost the work or the traceback.

The GUI wires it once at start-up (Qt-free here; the GUI passes its own callbacks)::

    from unitext_app.crash import install_excepthook
    install_excepthook(autosave_callback=window.autosaver.autosave_now,
                       show_dialog=lambda text: QMessageBox.critical(window, "UniText", text))

Exceptions raised in other threads (``threading.excepthook``) and in the main thread
(``sys.excepthook``; PySide6 also routes exceptions from slots and virtual overrides there)
are all logged. The two callbacks are only called in the main thread, because Qt widgets
must not be touched from another one; pass ``callbacks_in_any_thread=True`` if yours are
thread-safe (for instance they emit a queued signal). A fatal signal (a segfault in native
code) cannot run Python callbacks; ``faulthandler`` then writes the Python stacks to
``faults.log`` in the log folder.
"""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

from .logging_setup import log_dir, setup_logging

log = logging.getLogger("unitext.crash")

FAULTS_FILE_NAME = "faults.log"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def crash_message(exc: BaseException, log_path: Path, autosaved: bool | None) -> str:
    """The text for the dialog: what happened, whether the work is safe, where the log is."""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if autosaved is True:
        work = "Your open project was autosaved; it will be offered for recovery at the next start."
    elif autosaved is False:
        work = "Autosaving the open project failed: save your work under a new name now."
    else:
        work = "Save your work now: the application may be unstable."
    return (f"UniText hit an unexpected error.\n\n{what}\n\n{work}\n\n"
            f"The details are in the log file:\n{log_path}")


class CrashHandler:
    """The installed hooks; :meth:`uninstall` puts the previous ones back."""

    def __init__(self, autosave_callback: Callable[[], object] | None,
                 show_dialog: Callable[[str], object] | None,
                 callbacks_in_any_thread: bool = False) -> None:
        self.autosave_callback = autosave_callback
        self.show_dialog = show_dialog
        self.callbacks_in_any_thread = callbacks_in_any_thread
        self.log_path: Path = setup_logging()
        self.crashes = 0
        self._handling = threading.local()
        self._previous_sys = sys.excepthook
        self._previous_threading = threading.excepthook
        self._faults_file: IO[str] | None = None

    # -- the hooks ---------------------------------------------------------------------------
    def sys_hook(self, exc_type: type[BaseException], exc: BaseException,
                 tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):  # Ctrl+C in a terminal: not a crash
            self._previous_sys(exc_type, exc, tb)
            return
        self.handle((exc_type, exc, tb), threading.current_thread())

    def thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        self.handle((args.exc_type, args.exc_value, args.exc_traceback), args.thread)

    def handle(self, info: ExcInfo, thread: threading.Thread | None) -> None:
        exc_type, exc, tb = info
        if getattr(self._handling, "active", False):
            # The handler itself failed (a callback raised through): never recurse.
            traceback.print_exception(exc_type, exc, tb, file=sys.stderr or sys.__stderr__)
            return
        self._handling.active = True
        try:
            self.crashes += 1
            name = thread.name if thread is not None else "?"
            log.critical("Unhandled exception in thread %s", name, exc_info=info)
            _flush_log_handlers()
            in_main = thread is None or thread is threading.main_thread()
            if not (in_main or self.callbacks_in_any_thread):
                return
            autosaved = self._autosave()
            if self.show_dialog is not None:
                try:
                    self.show_dialog(crash_message(exc, self.log_path, autosaved))
                except Exception:
                    log.exception("the crash dialog failed")
        finally:
            self._handling.active = False

    def _autosave(self) -> bool | None:
        if self.autosave_callback is None:
            return None
        try:
            self.autosave_callback()
        except Exception:
            log.exception("autosave after the unhandled exception failed")
            return False
        log.info("autosaved after the unhandled exception")
        return True

    # -- installing ----------------------------------------------------------------------------
    def install(self, faults: bool = True) -> "CrashHandler":
        sys.excepthook = self.sys_hook
        threading.excepthook = self.thread_hook
        if faults and not faulthandler.is_enabled():
            try:
                folder = self.log_path.parent
                folder.mkdir(parents=True, exist_ok=True)
                self._faults_file = open(folder / FAULTS_FILE_NAME, "a", encoding="utf-8")  # noqa: SIM115
                faulthandler.enable(self._faults_file, all_threads=True)
            except OSError:
                self._faults_file = None
        return self

    def uninstall(self) -> None:
        if sys.excepthook == self.sys_hook:
            sys.excepthook = self._previous_sys
        if threading.excepthook == self.thread_hook:
            threading.excepthook = self._previous_threading
        if self._faults_file is not None:
            faulthandler.disable()
            self._faults_file.close()
            self._faults_file = None


def _flush_log_handlers() -> None:
    for handler in logging.getLogger().handlers:
        try:
            handler.flush()
        except Exception:
            pass


_installed: CrashHandler | None = None


def install_excepthook(autosave_callback: Callable[[], object] | None = None,
                       show_dialog: Callable[[str], object] | None = None, *,
                       callbacks_in_any_thread: bool = False,
                       faults: bool = True) -> CrashHandler:
    """Handle unhandled exceptions: log with traceback, then ``autosave_callback()``, then
    ``show_dialog(message)`` (the message names the log file). Sets up logging if needed.

    Calling it again replaces the previous installation (e.g. once the window exists and
    has something to autosave). Returns the handler; ``handler.uninstall()`` undoes it.
    """
    global _installed
    if _installed is not None:
        _installed.uninstall()
    _installed = CrashHandler(autosave_callback, show_dialog, callbacks_in_any_thread).install(faults)
    return _installed


def uninstall_excepthook() -> None:
    global _installed
    if _installed is not None:
        _installed.uninstall()
        _installed = None


def faults_log_path() -> Path:
    return log_dir() / FAULTS_FILE_NAME
