"""Image loading off the GUI thread: probe files, then a quick preview, then full pixels.

A 10000 x 14000 scan takes seconds to decode; doing that on the GUI thread would freeze the
window. Each task is a QRunnable on a small private pool and reports back by queued
signals; results for pages the user has since left are simply dropped by the receiver.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

PREVIEW_SIDE = 2048  # px: the preview is shown at once and used whenever zoomed out
THUMB_SIDE = 160  # px: page-list thumbnails
CHECK_DECODE_PIXELS = 25_000_000  # decode-check files up to this size while probing


@dataclass(frozen=True)
class PageSpec:
    """One page found in a file: the path, which frame, and its upright size."""

    path: str
    frame: int
    width: int
    height: int


class LoaderSignals(QObject):
    """Results of the loader tasks; connect to bound methods of GUI-thread QObjects."""

    probed = Signal(int, object, object)  # batch id, list[PageSpec], list[(path, error text)]
    preview = Signal(str, object)  # page id, RGB array
    full = Signal(str, object)  # page id, RGB array
    thumbnail = Signal(str, object)  # page id, RGB array
    failed = Signal(str, str)  # page id, error text


class _Task(QRunnable):
    def __init__(self, fn) -> None:  # noqa: ANN001
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn

    def run(self) -> None:
        try:
            self._fn()
        except Exception:  # a task must never take the pool thread down
            log.exception("image task failed")


class ImageLoader(QObject):
    """Starts loader tasks; one instance per window."""

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self.signals = LoaderSignals(self)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._batch = 0

    def probe(self, paths: list[str]) -> int:
        """Find the pages (frames) and sizes of image files; returns the batch id."""
        self._batch += 1
        batch, signals = self._batch, self.signals

        def work() -> None:
            specs, errors = probe_files(paths)
            signals.probed.emit(batch, specs, errors)

        self.pool.start(_Task(work))
        return batch

    def load_page(self, page_id: str, path: str, frame: int, full: bool = True) -> None:
        """Preview first (fast, downscaled), then, if wanted, the full-resolution pixels."""
        signals = self.signals

        def work() -> None:
            from engine.imageio import load_image, load_image_downscaled
            try:
                if full and not _cheap_preview(path):
                    # PNG, TIFF...: a preview costs a full decode anyway, so decode once.
                    pixels = load_image(path, frame=frame)
                    signals.preview.emit(page_id, downscale(pixels, PREVIEW_SIDE))
                    signals.full.emit(page_id, pixels)
                    return
                signals.preview.emit(page_id, load_image_downscaled(path, PREVIEW_SIDE, frame=frame))
                if full:
                    signals.full.emit(page_id, load_image(path, frame=frame))
            except MemoryError:
                signals.failed.emit(page_id, f"not enough memory to open {path}")
            except Exception as exc:  # ImageLoadError and anything unexpected
                signals.failed.emit(page_id, str(exc))

        self.pool.start(_Task(work))

    def load_thumbnail(self, page_id: str, path: str, frame: int) -> None:
        signals = self.signals

        def work() -> None:
            from engine.imageio import load_image_downscaled
            try:
                signals.thumbnail.emit(page_id, load_image_downscaled(path, THUMB_SIDE, frame=frame))
            except Exception as exc:
                log.info("no thumbnail for %s: %s", path, exc)

        self.pool.start(_Task(work))

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)


def probe_files(paths: list[str]) -> tuple[list[PageSpec], list[tuple[str, str]]]:
    """Every page of every readable file, and (path, reason) for the rest. Reads headers only."""
    from engine import imageio
    from engine.imageio import ImageLoadError, count_frames, image_size

    specs: list[PageSpec] = []
    errors: list[tuple[str, str]] = []
    for path in paths:
        try:
            n = count_frames(path)
            pages = []
            for frame in range(n):
                w, h = image_size(path, frame)
                if w * h > imageio.MAX_PIXELS:  # refuse now rather than fail when shown
                    raise ImageLoadError(path, f"image too large: {w}x{h} = {w * h / 1e6:.0f} "
                                               f"megapixels, the limit is {imageio.MAX_PIXELS / 1e6:.0f}")
                pages.append(PageSpec(path, frame, int(w), int(h)))
            # A header can look fine while the data is broken: decode a small preview now so
            # a corrupt file is reported at once (huge files are checked when they load).
            if pages and pages[0].width * pages[0].height <= CHECK_DECODE_PIXELS:
                _check_decodes(path)
            specs.extend(pages)
        except Exception as exc:
            errors.append((path, getattr(exc, "reason", None) or str(exc)))
    return specs, errors


def _cheap_preview(path: str) -> bool:
    """JPEG decodes at 1/2..1/8 scale (draft mode): its preview is much cheaper than the image."""
    return path.lower().endswith((".jpg", ".jpeg", ".jpe", ".jfif"))


def downscale(array: np.ndarray, max_side: int) -> np.ndarray:
    """No side longer than ``max_side`` (area interpolation); never upscales."""
    import cv2

    h, w = array.shape[:2]
    if max(h, w) <= max_side:
        return array
    scale = max_side / max(h, w)
    return cv2.resize(array, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _check_decodes(path: str) -> np.ndarray:
    from engine.imageio import load_image_downscaled
    return load_image_downscaled(path, 64)
