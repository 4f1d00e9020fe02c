"""The pixels of the open pages: loads them in the background, caches a few, frees the rest.

Full-resolution pixels are kept for the page on screen and the one before it only (a big
scan is hundreds of MB); downscaled previews for a dozen pages; page-list thumbnails and
region-crop thumbnails for everything (they are tiny).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QImage

from unitext_app.document import Page, TextRegion

from .images import PageImage, crop_thumbnail, qimage_from_array
from .loaders import THUMB_SIDE, ImageLoader

MAX_FULL = 2
MAX_PREVIEWS = 12


class PageStore(QObject):
    imageChanged = Signal(str)  # page id: a preview or the full pixels arrived
    pageFailed = Signal(str, str)  # page id, reason
    thumbnailChanged = Signal(str)  # page id

    def __init__(self, loader: ImageLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self._images: OrderedDict[str, PageImage] = OrderedDict()
        self._pending: set[str] = set()
        self._failed: dict[str, str] = {}
        self._thumbs: dict[str, QImage] = {}
        self._thumb_pending: set[str] = set()
        self._crops: dict[str, tuple[object, QImage | None]] = {}
        loader.signals.preview.connect(self._on_preview)
        loader.signals.full.connect(self._on_full)
        loader.signals.failed.connect(self._on_failed)
        loader.signals.thumbnail.connect(self._on_thumbnail)

    # -- pages ---------------------------------------------------------------------------------
    def image(self, page_id: str) -> PageImage | None:
        return self._images.get(page_id)

    def failure(self, page_id: str) -> str | None:
        return self._failed.get(page_id)

    def is_loading(self, page_id: str) -> bool:
        return page_id in self._pending

    def request(self, page: Page, full: bool = True) -> PageImage:
        """The page's image holder (maybe still empty); starts loading what is missing."""
        image = self._images.get(page.id)
        if image is None:
            image = PageImage(page.width, page.height)
            self._images[page.id] = image
        self._images.move_to_end(page.id)
        need_full = full and image.full is None
        if (image.preview is None or need_full) and page.id not in self._pending and page.id not in self._failed:
            self._pending.add(page.id)
            self.loader.load_page(page.id, page.image_path, page.frame, full=full)
        self._evict(keep=page.id)
        return image

    def forget(self, page_ids: list[str]) -> None:
        for pid in page_ids:
            self._images.pop(pid, None)
            self._thumbs.pop(pid, None)
            self._failed.pop(pid, None)
        for key in [k for k in self._crops if k.split("/", 1)[0] in set(page_ids)]:
            del self._crops[key]

    def clear(self) -> None:
        self._images.clear()
        self._thumbs.clear()
        self._crops.clear()
        self._failed.clear()
        self._pending.clear()
        self._thumb_pending.clear()

    def _evict(self, keep: str) -> None:
        with_full = [pid for pid, im in self._images.items() if im.full is not None]
        for pid in with_full[:-MAX_FULL] if len(with_full) > MAX_FULL else []:
            if pid != keep:
                self._images[pid].drop_full()
        while len(self._images) > MAX_PREVIEWS:
            oldest = next(iter(self._images))
            if oldest == keep:
                break
            del self._images[oldest]

    @Slot(str, object)
    def _on_preview(self, page_id: str, array: np.ndarray) -> None:
        image = self._images.get(page_id)
        if image is None:
            return
        if image.full is None:  # never let a late preview replace sharper pixels
            image.set_preview(array)
        if page_id not in self._thumbs:
            self._set_thumb(page_id, array)
        self._drop_crops(page_id)
        self.imageChanged.emit(page_id)

    @Slot(str, object)
    def _on_full(self, page_id: str, array: np.ndarray) -> None:
        self._pending.discard(page_id)
        image = self._images.get(page_id)
        if image is None:
            return
        if (array.shape[1], array.shape[0]) != (image.width, image.height):
            # The file changed since the page was added; show it at the page's size anyway.
            image.width, image.height = array.shape[1], array.shape[0]
        image.set_full(array)
        self._drop_crops(page_id)
        self._evict(keep=page_id)
        self.imageChanged.emit(page_id)

    @Slot(str, str)
    def _on_failed(self, page_id: str, reason: str) -> None:
        self._pending.discard(page_id)
        self._failed[page_id] = reason
        self.pageFailed.emit(page_id, reason)

    # -- thumbnails ------------------------------------------------------------------------------
    def page_thumbnail(self, page: Page) -> QImage | None:
        thumb = self._thumbs.get(page.id)
        if thumb is None and page.id not in self._thumb_pending and page.id not in self._failed:
            self._thumb_pending.add(page.id)
            self.loader.load_thumbnail(page.id, page.image_path, page.frame)
        return thumb

    @Slot(str, object)
    def _on_thumbnail(self, page_id: str, array: np.ndarray) -> None:
        self._thumb_pending.discard(page_id)
        self._set_thumb(page_id, array)

    def _set_thumb(self, page_id: str, array: np.ndarray) -> None:
        h, w = array.shape[:2]
        image = qimage_from_array(np.ascontiguousarray(array)).copy()
        if max(h, w) > THUMB_SIDE:
            image = image.scaled(THUMB_SIDE, THUMB_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        self._thumbs[page_id] = image
        self.thumbnailChanged.emit(page_id)

    def region_thumbnail(self, page_id: str, region: TextRegion) -> QImage | None:
        """A small upright crop of the region, cached until its shape or the pixels change."""
        key = f"{page_id}/{region.id}"
        cached = self._crops.get(key)
        if cached is not None and cached[0] == region.shape:
            return cached[1]
        image = self._images.get(page_id)
        if image is None or image.best is None:
            return None
        thumb = crop_thumbnail(image, region.shape)
        self._crops[key] = (region.shape, thumb)
        return thumb

    def _drop_crops(self, page_id: str) -> None:
        prefix = f"{page_id}/"
        for key in [k for k in self._crops if k.startswith(prefix)]:
            del self._crops[key]
