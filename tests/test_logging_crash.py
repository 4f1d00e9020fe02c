"""Logging to the per-user log folder, and the unhandled-exception handler (log, autosave,
then the dialog with the log's path)."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from unitext_app import crash, logging_setup
from unitext_app.crash import crash_message, install_excepthook, uninstall_excepthook
from unitext_app.logging_setup import LOG_DIR_ENV, log_dir, setup_logging, teardown_logging

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def logs(tmp_path, monkeypatch):
    """Log into a scratch folder; leave the root logger and the hooks as they were."""
    folder = tmp_path / "logs"
    monkeypatch.setenv(LOG_DIR_ENV, str(folder))
    teardown_logging()  # whatever an earlier test (e.g. a GUI run) set up
    root = logging.getLogger()
    level = root.level
    before_sys, before_threading = sys.excepthook, threading.excepthook
    yield folder
    uninstall_excepthook()
    teardown_logging()
    root.setLevel(level)
    sys.excepthook, threading.excepthook = before_sys, before_threading


def raised(exc: BaseException):
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001
        return type(caught), caught, caught.__traceback__


# -- logging_setup ---------------------------------------------------------------------------
def test_log_dir_is_the_platform_user_log_dir(monkeypatch):
    from platformdirs import user_log_dir
    monkeypatch.delenv(LOG_DIR_ENV, raising=False)
    assert log_dir() == Path(user_log_dir("unitext", appauthor=False))
    assert not str(log_dir()).startswith(str(Path.cwd()))  # never relative to the current folder


def test_setup_logging_writes_the_rotating_file_and_warnings_to_stderr(logs, capsys):
    path = setup_logging()
    assert path == logs / "unitext.log" and path.is_file()
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert handlers and handlers[0].maxBytes == logging_setup.MAX_BYTES and handlers[0].backupCount == 3
    logging.getLogger("unitext.test").info("an info line")
    logging.getLogger("unitext.test").warning("a warning line")
    for h in logging.getLogger().handlers:
        h.flush()
    text = path.read_text(encoding="utf-8")
    assert "INFO unitext.test" in text and "an info line" in text and "a warning line" in text
    err = capsys.readouterr().err
    assert "a warning line" in err and "an info line" not in err


def test_setup_logging_is_idempotent(logs):
    first = setup_logging()
    count = len(logging.getLogger().handlers)
    assert setup_logging() == first
    assert len(logging.getLogger().handlers) == count
    assert logging_setup.log_file() == first


def test_unwritable_log_folder_falls_back_to_the_temp_folder(logs, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setattr(logging_setup.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    path = setup_logging(folder=blocker / "logs")
    assert path == tmp_path / "tmp" / "unitext-log" / "unitext.log" and path.is_file()


# -- crash -------------------------------------------------------------------------------------
def test_unhandled_exception_is_logged_then_autosaved_then_shown(logs):
    events = []
    handler = install_excepthook(lambda: events.append("autosave"), lambda text: events.append(("dialog", text)),
                                 faults=False)
    sys.excepthook(*raised(ValueError("boom in a slot")))
    assert [e if isinstance(e, str) else e[0] for e in events] == ["autosave", "dialog"]
    message = events[1][1]
    assert "ValueError: boom in a slot" in message
    assert str(handler.log_path) in message and "autosaved" in message
    text = handler.log_path.read_text(encoding="utf-8")
    assert "CRITICAL unitext.crash" in text and "Traceback" in text and "ValueError: boom in a slot" in text
    assert handler.crashes == 1


def test_log_is_written_before_the_callbacks_run(logs):
    seen = {}

    def autosave():
        for h in logging.getLogger().handlers:
            h.flush()
        seen["log"] = (logs / "unitext.log").read_text(encoding="utf-8")

    install_excepthook(autosave, None, faults=False)
    sys.excepthook(*raised(RuntimeError("first the log")))
    assert "RuntimeError: first the log" in seen["log"]


def test_failing_autosave_is_logged_and_the_dialog_still_shows(logs):
    shown = []

    def autosave():
        raise OSError("disk full")

    handler = install_excepthook(autosave, shown.append, faults=False)
    sys.excepthook(*raised(KeyError("x")))
    assert len(shown) == 1 and "Autosaving the open project failed" in shown[0]
    text = handler.log_path.read_text(encoding="utf-8")
    assert "autosave after the unhandled exception failed" in text and "disk full" in text


def test_failing_dialog_does_not_raise(logs):
    def dialog(text):
        raise RuntimeError("no QApplication")

    handler = install_excepthook(None, dialog, faults=False)
    sys.excepthook(*raised(ZeroDivisionError("division by zero")))  # must not raise
    assert "the crash dialog failed" in handler.log_path.read_text(encoding="utf-8")


def test_keyboard_interrupt_goes_to_the_previous_hook(logs, monkeypatch):
    calls = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: calls.append(info[0]))
    dialogs = []
    install_excepthook(None, dialogs.append, faults=False)
    sys.excepthook(*raised(KeyboardInterrupt()))
    assert calls == [KeyboardInterrupt] and dialogs == []


def test_thread_exceptions_are_logged_and_callbacks_stay_in_the_main_thread(logs):
    events = []
    handler = install_excepthook(lambda: events.append("autosave"), events.append, faults=False)
    worker = threading.Thread(target=lambda: 1 / 0, name="recognition-worker")
    worker.start()
    worker.join()
    assert events == []  # Qt widgets must not be touched from the worker
    text = handler.log_path.read_text(encoding="utf-8")
    assert "Unhandled exception in thread recognition-worker" in text and "ZeroDivisionError" in text

    install_excepthook(lambda: events.append("autosave"), events.append, callbacks_in_any_thread=True,
                       faults=False)
    worker = threading.Thread(target=lambda: 1 / 0)
    worker.start()
    worker.join()
    assert events[0] == "autosave" and "ZeroDivisionError" in events[1]


def test_reinstalling_replaces_and_uninstall_restores(logs):
    original = sys.excepthook
    first = install_excepthook(None, None, faults=False)
    second = install_excepthook(None, None, faults=False)
    assert sys.excepthook == second.sys_hook and sys.excepthook != first.sys_hook
    uninstall_excepthook()
    assert sys.excepthook is original
    assert threading.excepthook is not second.thread_hook


def test_crash_message_without_autosave():
    text = crash_message(ValueError("bad"), Path("/logs/unitext.log"), None)
    assert "ValueError: bad" in text and "/logs/unitext.log" in text and "Save your work" in text


def test_a_real_crash_in_a_process_lands_in_the_log(tmp_path):
    script = textwrap.dedent("""
        from unitext_app.crash import install_excepthook
        install_excepthook(lambda: print("AUTOSAVED", flush=True),
                           lambda text: print("DIALOG", text.replace("\\n", " "), flush=True))
        def deep():
            raise LookupError("crashed for real")
        deep()
    """)
    env = {"PATH": "/usr/bin:/bin", "UNITEXT_LOG_DIR": str(tmp_path / "logs"), "PYTHONPATH": str(ROOT),
           "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=60)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert lines[0] == "AUTOSAVED" and lines[1].startswith("DIALOG") and "LookupError" in lines[1]
    log = (tmp_path / "logs" / "unitext.log").read_text(encoding="utf-8")
    assert "in deep" in log and "LookupError: crashed for real" in log
    assert "LookupError" in out.stderr  # the stderr handler shows CRITICAL records too
    assert (tmp_path / "logs" / crash.FAULTS_FILE_NAME).exists()  # faulthandler armed for segfaults
