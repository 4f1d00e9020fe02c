"""Recognition in a worker thread that owns the Recognizer.

The GUI never imports torch: :func:`default_recognizer_factory` imports ``engine.recognizer``
only when the worker thread first needs a model. Tests (and anyone embedding the window)
pass their own factory -- any callable ``(model_path: str | None, device: str) -> object``
whose result has ``recognize_regions(image, regions, batch_size, progress, should_cancel)``
like :class:`engine.recognizer.Recognizer`.

Regions are read in chunks, so cancelling keeps everything read so far.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.geometry import Region

log = logging.getLogger(__name__)

RecognizerFactory = Callable[[str | None, str], Any]
CHUNK_BATCHES = 2  # regions per chunk = batch_size * this: cancel granularity


class NoModelError(Exception):
    """No usable model file: the message tells the user where to choose one."""


def default_recognizer_factory(model_path: str | None, device: str) -> Any:
    """Load the real recognizer (imports torch; call only in the worker thread)."""
    if not model_path:
        from engine.resources import default_model_path
        path = default_model_path()
        if not path.is_file():
            raise NoModelError("No model: choose one in Settings (Edit > Settings). "
                               f"The bundled model was not found at {path}.")
        model_path = str(path)
    elif not os.path.isfile(model_path):
        raise NoModelError(f"No model at {model_path}: choose one in Settings (Edit > Settings).")
    from engine.recognizer import Recognizer  # torch, here and only here
    return Recognizer.load(model_path, device=device)


@dataclass
class PageJob:
    page_id: str
    image_path: str
    frame: int
    image: np.ndarray | None  # full pixels if the GUI has them; else the worker loads them
    regions: list[tuple[str, Region]]  # (region id, shape) in reading order


@dataclass
class RecognitionJob:
    job_id: int
    model_path: str | None  # None/"" = bundled default
    device: str
    batch_size: int
    pages: list[PageJob] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(p.regions) for p in self.pages)


@dataclass
class RegionResult:
    """One region's reading, or why it could not be read."""

    region_id: str
    shape: Region  # the shape that was read: the GUI drops results for since-moved regions
    text: str = ""
    confidence: float = 0.0
    char_confidences: list[float] = field(default_factory=list)
    error: str | None = None


class RecognitionWorker(QObject):
    """Lives in its own QThread; ``run`` is invoked there through a queued signal."""

    status = Signal(int, str)  # job id, what is happening ("Loading model ...")
    progress = Signal(int, int, int)  # job id, regions done, total
    results = Signal(int, str, object, str)  # job id, page id, list[RegionResult], model name
    finished = Signal(int, bool, str, str)  # job id, cancelled, error text, kind: "", "model", "device", "other"

    def __init__(self, factory: RecognizerFactory) -> None:
        super().__init__()
        self._factory = factory
        self._recognizer: Any = None
        self._key: tuple[str | None, str] | None = None
        self.cancel_event = threading.Event()

    @Slot(object)
    def run(self, job: RecognitionJob) -> None:
        try:
            cancelled = self._run(job)
            self.finished.emit(job.job_id, cancelled, "", "")
        except Exception as exc:  # report, never kill the thread
            log.exception("recognition failed")
            self.finished.emit(job.job_id, False, str(exc) or type(exc).__name__, error_kind(exc))

    def _run(self, job: RecognitionJob) -> bool:
        recognizer = self._ensure_recognizer(job)
        model_name = _model_name(recognizer, job.model_path)
        total, done = job.total, 0
        self.progress.emit(job.job_id, 0, total)
        for page in job.pages:
            if self.cancel_event.is_set():
                return True
            image = page.image
            if image is None:
                self.status.emit(job.job_id, f"Loading {os.path.basename(page.image_path)} ...")
                from engine.imageio import load_image
                image = load_image(page.image_path, frame=page.frame)
            step = max(1, job.batch_size * CHUNK_BATCHES)
            for start in range(0, len(page.regions), step):
                if self.cancel_event.is_set():
                    return True
                chunk = page.regions[start:start + step]
                base = done

                def on_progress(d: int, t: int, base: int = base, n: int = len(chunk)) -> None:
                    self.progress.emit(job.job_id, base + (n * d) // max(1, t), total)

                self.status.emit(job.job_id, "Recognising ...")
                try:
                    preds = recognizer.recognize_regions(
                        image, [shape for _, shape in chunk], batch_size=job.batch_size,
                        progress=on_progress, should_cancel=self.cancel_event.is_set)
                except Exception as exc:
                    if self.cancel_event.is_set() or type(exc).__name__ == "RecognitionCancelled":
                        return True
                    raise
                self.results.emit(job.job_id, page.page_id, _results(chunk, preds), model_name)
                done += len(chunk)
                self.progress.emit(job.job_id, done, total)
        return False

    def _ensure_recognizer(self, job: RecognitionJob) -> Any:
        key = (job.model_path or None, job.device)
        if self._recognizer is None or self._key != key:
            self._recognizer = None
            self.status.emit(job.job_id, "Loading model ...")
            self._recognizer = self._factory(job.model_path or None, job.device)
            self._key = key
        return self._recognizer


def error_kind(exc: BaseException) -> str:
    """'model' or 'device' when the fix is in Settings; 'other' otherwise (by class name, so
    the GUI thread never has to import the engine modules that define them)."""
    name = type(exc).__name__
    if isinstance(exc, NoModelError) or name == "ModelFileError":
        return "model"
    if name == "DeviceError":
        return "device"
    return "other"


def _results(chunk: list[tuple[str, Region]], preds: list[Any]) -> list[RegionResult]:
    out = []
    for (rid, shape), pred in zip(chunk, preds):
        if isinstance(pred, Exception):
            out.append(RegionResult(rid, shape, error=str(pred) or type(pred).__name__))
        else:
            out.append(RegionResult(rid, shape, str(pred.text), float(pred.confidence),
                                    [float(c) for c in pred.char_confidences]))
    return out


def _model_name(recognizer: Any, model_path: str | None) -> str:
    path = getattr(recognizer, "model_path", None) or model_path or ""
    return os.path.basename(str(path)) or "model"


class RecognitionService(QObject):
    """The GUI side: owns the thread and the worker, hands out job ids, cancels."""

    _submit = Signal(object)

    def __init__(self, factory: RecognizerFactory | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread(self)
        self.thread.setObjectName("unitext-recognition")
        self.worker = RecognitionWorker(factory or default_recognizer_factory)
        self.worker.moveToThread(self.thread)
        self._submit.connect(self.worker.run)
        self.thread.start()
        self._next_id = 0
        self.running_job: int | None = None
        self.worker.finished.connect(self._on_finished)
        _SERVICES.add(self)

    @property
    def busy(self) -> bool:
        return self.running_job is not None

    def submit(self, job: RecognitionJob) -> None:
        self.worker.cancel_event.clear()
        self.running_job = job.job_id
        self._submit.emit(job)

    def new_job_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def cancel(self) -> None:
        """Thread-safe: the worker checks this flag between batches."""
        self.worker.cancel_event.set()

    @Slot(int, bool, str, str)
    def _on_finished(self, job_id: int, cancelled: bool, error: str, kind: str) -> None:
        if job_id == self.running_job:
            self.running_job = None

    def shutdown(self, wait_ms: int = 5000) -> None:
        """Stop the thread (after the current batch); safe to call more than once."""
        try:
            if not self.thread.isRunning():
                return
            self.cancel()
            self.thread.quit()
            if not self.thread.wait(wait_ms):
                log.warning("recognition thread did not stop within %d ms", wait_ms)
        except RuntimeError:  # the C++ side is already gone
            pass


_SERVICES: "weakref.WeakSet[RecognitionService]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """A window never closed (a script, a crash path) must not leave its thread running
    while Qt tears down: that aborts the process."""
    for service in list(_SERVICES):
        service.shutdown(2000)
