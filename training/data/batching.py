"""Samples -> model batches, width-bucketed batch order, and DataLoader wrappers.

Targets follow engine.model's convention: the character indices, then EOS (index 0), then
padding ``-100`` (training.losses.IGNORE); ``target_lengths`` count the EOS step.
Crops go through engine.preprocess.prepare_crop + collate, the same path as inference.

Two ways to feed a DataLoader with ``num_workers > 0`` (decoding, augmentation and
prepare_crop all run in the workers):

- a finite dataset: ``DataLoader(CropDataset(ds, charset), batch_sampler=
  WidthBucketBatchSampler(approx_widths(ds)), collate_fn=collate_items, num_workers=2)``;
- the mixed training stream: ``DataLoader(StreamBatches(source, charset, batch_size),
  batch_size=None, num_workers=2)``; each worker builds whole batches, and the loader's
  round-robin over workers gives the same batch sequence as ``num_workers=0``. A batch's
  ``index`` is its position in the stream: resume with ``start_batch=batch.index + 1``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset, IterableDataset, Sampler, get_worker_info

from engine.charset import EOS_INDEX, Charset, UnknownCharacters
from engine.config import ModelConfig
from engine.model import WIDTH_STRIDE
from engine.preprocess import MIN_WIDTH, collate, prepare_crop

from .mixing import MixedSource, supports_sizes
from .samples import DOMAIN_INDEX, Sample

IGNORE_INDEX = -100
DEFAULT_HEIGHT = ModelConfig().height
DEFAULT_MAX_WIDTH = ModelConfig().max_width


@dataclass
class Batch:
    images: Tensor  # (B, 1, H, W) float32 in [-1, 1], right-padded
    widths: Tensor  # (B,) long: valid width of each crop
    targets: Tensor  # (B, S) long: characters, EOS, then -100
    target_lengths: Tensor  # (B,) long: characters + 1 (the EOS)
    domains: Tensor  # (B,) long: 0 scene, 1 handwriting
    texts: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    index: int = -1  # position of the batch in a stream (StreamBatches), else -1

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def to(self, device: Any, non_blocking: bool = False) -> "Batch":
        return Batch(self.images.to(device, non_blocking=non_blocking),
                     self.widths.to(device, non_blocking=non_blocking),
                     self.targets.to(device, non_blocking=non_blocking),
                     self.target_lengths.to(device, non_blocking=non_blocking),
                     self.domains.to(device, non_blocking=non_blocking),
                     self.texts, self.sources, self.index)

    def pin_memory(self) -> "Batch":  # DataLoader(pin_memory=True) calls this
        return Batch(self.images.pin_memory(), self.widths.pin_memory(), self.targets.pin_memory(),
                     self.target_lengths.pin_memory(), self.domains.pin_memory(),
                     self.texts, self.sources, self.index)


@dataclass
class PreparedItem:
    """One sample after prepare_crop (what a DataLoader worker hands back)."""

    crop: np.ndarray  # float32 (H, W)
    ids: list[int]  # character indices, without EOS
    domain: int
    text: str
    source: str


def encode_text(text: str, charset: Charset, source: str = "") -> list[int]:
    try:
        return charset.encode(text)
    except UnknownCharacters as exc:
        if source:
            exc.add_note(f"sample: {source}")
        raise


def encode_targets(id_lists: Sequence[Sequence[int]]) -> tuple[Tensor, Tensor]:
    """Index lists -> targets (B, S) (characters, EOS, -100 padding), lengths (B,) with EOS."""
    lengths = [len(ids) + 1 for ids in id_lists]
    targets = torch.full((len(id_lists), max(lengths, default=1)), IGNORE_INDEX, dtype=torch.long)
    for i, ids in enumerate(id_lists):
        if ids:
            targets[i, : len(ids)] = torch.as_tensor(list(ids), dtype=torch.long)
        targets[i, len(ids)] = EOS_INDEX
    return targets, torch.tensor(lengths, dtype=torch.long)


def prepare_sample(sample: Any, charset: Charset, model_height: int = DEFAULT_HEIGHT,
                   max_width: int = DEFAULT_MAX_WIDTH) -> PreparedItem:
    source = getattr(sample, "source", "")
    ids = encode_text(sample.text, charset, source)
    # float32 whatever prepare_crop computes in (it gives float64 under NumPy 2): half the IPC.
    crop = prepare_crop(sample.image, model_height, max_width).astype(np.float32, copy=False)
    return PreparedItem(crop, ids, DOMAIN_INDEX[sample.domain], charset.normalize(sample.text), source)


def collate_items(items: Sequence[PreparedItem], index: int = -1) -> Batch:
    """collate_fn for DataLoader over :class:`CropDataset`."""
    images, widths = collate([it.crop for it in items])
    targets, lengths = encode_targets([it.ids for it in items])
    domains = torch.tensor([it.domain for it in items], dtype=torch.long)
    return Batch(images, widths, targets, lengths, domains,
                 [it.text for it in items], [it.source for it in items], index)


def encode_batch(samples: Sequence[Any], charset: Charset, model_height: int = DEFAULT_HEIGHT,
                 max_width: int = DEFAULT_MAX_WIDTH) -> Batch:
    """Samples (``.image`` uint8 gray, ``.text``, ``.domain``) -> one padded :class:`Batch`."""
    if not samples:
        raise ValueError("no samples to batch")
    return collate_items([prepare_sample(s, charset, model_height, max_width) for s in samples])


# --- widths and bucketing ------------------------------------------------------------------

def approx_width(width: int, height: int, model_height: int = DEFAULT_HEIGHT,
                 max_width: int = DEFAULT_MAX_WIDTH) -> int:
    """The width prepare_crop will give (same formula as engine.preprocess.target_width)."""
    return int(approx_widths_from_sizes(np.array([[width, height]]), model_height, max_width)[0])


def approx_widths_from_sizes(sizes: np.ndarray, model_height: int = DEFAULT_HEIGHT,
                             max_width: int = DEFAULT_MAX_WIDTH) -> np.ndarray:
    sizes = np.asarray(sizes, dtype=np.float64).reshape(-1, 2)
    w = np.rint(sizes[:, 0] * model_height / np.maximum(sizes[:, 1], 1.0))
    w = np.minimum(np.maximum(w, MIN_WIDTH), max_width)
    return (-(-w // WIDTH_STRIDE) * WIDTH_STRIDE).astype(np.int64)


def dataset_sizes(dataset: Any) -> np.ndarray:
    """(N, 2) (width, height) per item: from image headers where the dataset can
    (``image_sizes()`` / ``image_size(i)``, read once and cached), else by loading each item."""
    if supports_sizes(dataset) and hasattr(dataset, "image_sizes"):
        return np.asarray(dataset.image_sizes())
    if supports_sizes(dataset):
        return np.array([dataset.image_size(i) for i in range(len(dataset))], dtype=np.int64).reshape(-1, 2)
    out = np.zeros((len(dataset), 2), dtype=np.int64)
    for i in range(len(dataset)):
        h, w = dataset[i].image.shape[:2]
        out[i] = (w, h)
    return out


def approx_widths(dataset: Any, model_height: int = DEFAULT_HEIGHT,
                  max_width: int = DEFAULT_MAX_WIDTH) -> np.ndarray:
    """Model-input width of every item, without decoding images where headers can be read."""
    return approx_widths_from_sizes(dataset_sizes(dataset), model_height, max_width)


def bucket_batches(order: np.ndarray, widths: np.ndarray, batch_size: int, chunk_batches: int,
                   rng: np.random.Generator | None, drop_last: bool = False) -> list[list[int]]:
    """Cut ``order`` into chunks of ``chunk_batches`` batches, sort each chunk by width, cut
    into batches; then shuffle the order of all batches with ``rng`` (None: keep it)."""
    chunk = batch_size * chunk_batches
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = np.asarray(order[start:start + chunk])
        part = part[np.argsort(widths[part], kind="stable")]
        for b in range(0, len(part), batch_size):
            batches.append([int(i) for i in part[b:b + batch_size]])
    if drop_last:
        batches = [b for b in batches if len(b) == batch_size]
    if rng is not None and batches:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def padding_fraction(widths: Sequence[int] | np.ndarray, batches: Sequence[Sequence[int]]) -> float:
    """Share of the padded batch area that is padding."""
    widths = np.asarray(widths)
    padded = used = 0
    for b in batches:
        w = widths[list(b)]
        padded += int(w.max()) * len(w)
        used += int(w.sum())
    return 0.0 if padded == 0 else 1.0 - used / padded


class WidthBucketBatchSampler(Sampler[list[int]]):
    """Batches of similar widths in random order: each epoch shuffles the indices, sorts them
    by width within chunks of ``chunk_batches`` batches and shuffles the batch order.
    Deterministic per ``(seed, epoch)``; ``set_epoch(e, start_batch)`` also resumes mid-epoch."""

    def __init__(self, widths: Sequence[int] | np.ndarray, batch_size: int, chunk_batches: int = 50,
                 seed: int = 0, shuffle: bool = True, drop_last: bool = False):
        if batch_size < 1 or chunk_batches < 1:
            raise ValueError("batch_size and chunk_batches must be positive")
        self.widths = np.asarray(widths, dtype=np.int64)
        self.batch_size = batch_size
        self.chunk_batches = chunk_batches
        self.seed = seed
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.epoch = 0
        self.start_batch = 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        self.epoch = int(epoch)
        self.start_batch = int(start_batch)

    def batches(self) -> list[list[int]]:
        n = len(self.widths)
        if self.shuffle:
            rng = np.random.default_rng([self.seed, self.epoch])
            order = rng.permutation(n)
        else:
            rng, order = None, np.arange(n)
        return bucket_batches(order, self.widths, self.batch_size, self.chunk_batches, rng, self.drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches()[self.start_batch:])

    def __len__(self) -> int:
        n = len(self.widths)  # chunks hold whole batches: only the last batch can be short
        full = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return max(0, full - self.start_batch)


# --- torch wrappers ----------------------------------------------------------------------

class CropDataset(Dataset):
    """Map-style torch dataset: item i -> :class:`PreparedItem` (decode, optional augmentation
    with a generator seeded by ``(seed, epoch, i)``, prepare_crop), for ``collate_items``."""

    def __init__(self, dataset: Any, charset: Charset, model_height: int = DEFAULT_HEIGHT,
                 max_width: int = DEFAULT_MAX_WIDTH, augment: Any = None, seed: int = 0):
        self.dataset = dataset
        self.charset = charset
        self.model_height = model_height
        self.max_width = max_width
        self.augment = augment
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> PreparedItem:
        sample = self.dataset[i]
        if self.augment is not None:
            rng = np.random.default_rng([self.seed, self.epoch, int(i)])
            sample = Sample(self.augment(sample.image, rng), sample.text, sample.domain,
                            getattr(sample, "source", "") or str(i))
        return prepare_sample(sample, self.charset, self.model_height, self.max_width)


class StreamBatches(IterableDataset):
    """Infinite stream of :class:`Batch` from a :class:`MixedSource`, width-bucketed.

    Global batch ``g`` belongs to chunk ``g // chunk_batches``; a chunk takes the next
    ``batch_size * chunk_batches`` stream positions, sorts them by approximate width (image
    headers, no decoding), cuts them into batches and shuffles their order by ``(seed, chunk)``.
    So batch ``g`` is a pure function of ``(source seed, g)``: worker ``w`` of ``W`` builds
    batches ``g = start_batch + w, + W, ...`` and the DataLoader returns them in order.
    Every stream position is used exactly once, so the mix ratios hold.
    """

    def __init__(self, source: MixedSource, charset: Charset, batch_size: int,
                 model_height: int = DEFAULT_HEIGHT, max_width: int = DEFAULT_MAX_WIDTH,
                 chunk_batches: int = 50, start_batch: int = 0, bucket: bool = True,
                 precompute_sizes: bool = True):
        self.source = source
        self.charset = charset
        self.batch_size = batch_size
        self.model_height = model_height
        self.max_width = max_width
        self.chunk_batches = chunk_batches if bucket else 1
        self.start_batch = int(start_batch)
        self.bucket = bucket
        self._chunk_cache: tuple[int, list[list[int]]] | None = None
        self._widths: list[np.ndarray | None] = [None] * len(source.components)
        if bucket and precompute_sizes:  # once, in the main process, so workers inherit them
            for c, comp in enumerate(source.components):
                if supports_sizes(comp.dataset):
                    self._widths[c] = approx_widths(comp.dataset, model_height, max_width)

    def _width(self, k: int) -> int:
        c, idx = self.source.locate(k)
        if self._widths[c] is not None:
            return int(self._widths[c][idx])
        ds = self.source.components[c].dataset
        if supports_sizes(ds):
            w, h = ds.image_size(idx)
        else:
            h, w = ds[idx].image.shape[:2]
        return approx_width(w, h, self.model_height, self.max_width)

    def batch_positions(self, g: int) -> list[int]:
        """Stream positions (MixedSource indices) that make up global batch ``g``."""
        chunk, j = divmod(int(g), self.chunk_batches)
        if self._chunk_cache is None or self._chunk_cache[0] != chunk:
            size = self.batch_size * self.chunk_batches
            positions = np.arange(chunk * size, (chunk + 1) * size)
            if self.bucket:
                widths = np.array([self._width(int(k)) for k in positions], dtype=np.int64)
                local = bucket_batches(np.arange(size), widths, self.batch_size, self.chunk_batches,
                                       np.random.default_rng([self.source.seed, 0x6275, chunk]))
                batches = [[int(positions[i]) for i in b] for b in local]
            else:
                batches = [[int(k) for k in positions]]
            self._chunk_cache = (chunk, batches)
        return self._chunk_cache[1][j]

    def batch(self, g: int) -> Batch:
        items = [prepare_sample(self.source.sample_at(k), self.charset, self.model_height, self.max_width)
                 for k in self.batch_positions(g)]
        return collate_items(items, index=int(g))

    def __iter__(self) -> Iterator[Batch]:
        info = get_worker_info()
        wid, workers = (0, 1) if info is None else (info.id, info.num_workers)
        for g in itertools.count(self.start_batch + wid, workers):
            yield self.batch(g)

    def state_for(self, next_batch: int) -> dict[str, Any]:
        """What to save to resume at ``next_batch`` (pass it back as ``start_batch``)."""
        return {"next_batch": int(next_batch), "batch_size": self.batch_size,
                "chunk_batches": self.chunk_batches, "source": self.source.state_dict()}
