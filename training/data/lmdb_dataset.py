"""LMDB in the layout of the public text-recognition benchmarks (deep-text-recognition-benchmark):
``num-samples`` (ASCII int), ``image-%09d`` (encoded image bytes), ``label-%09d`` (UTF-8), indices
from 1. We also write ``path-%09d`` (where an item came from) where known; readers ignore it.

The environment is opened lazily in each process (never inherited through fork), so the
dataset can be handed to DataLoader workers. Needs the ``lmdb`` package.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engine.charset import Charset

from .folder import LabelledImages, read_labels_tsv
from .samples import DEFAULT_MAX_LENGTH, CorruptImageError, decode_gray, header_size


def _lmdb():
    try:
        import lmdb
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("LMDB datasets need the 'lmdb' package: pip install lmdb") from exc
    return lmdb


# One read-only environment per (process, database): lmdb refuses to open the same database
# twice in a process, and an environment must not be used across fork.
_ENVS: dict[tuple[int, str], Any] = {}


def _open(path: Path):
    key = (os.getpid(), str(path.resolve()))
    env = _ENVS.get(key)
    if env is None:
        # Inherited through fork: lmdb still counts them as open in this process, and an
        # environment must not be used across fork. Close the child's copies (read-only,
        # lock=False: this unmaps them here and leaves the parent's alone), then reopen.
        for k in [k for k in _ENVS if k[0] != key[0]]:
            try:
                _ENVS.pop(k).close()
            except Exception:
                pass
        env = _lmdb().open(str(path), readonly=True, lock=False, readahead=False, meminit=False,
                           max_readers=256, subdir=path.is_dir())
        _ENVS[key] = env
    return env


def close_all() -> None:
    """Close this process's read environments (e.g. before rewriting a database in place)."""
    for key in [k for k in _ENVS if k[0] == os.getpid()]:
        _ENVS.pop(key).close()


class LmdbDataset(LabelledImages):
    """Benchmark-layout LMDB as :class:`Sample`; same filtering and reporting as the folders."""

    def __init__(self, path: str | Path, domain: str, charset: Charset | None = None, *,
                 max_length: int | None = DEFAULT_MAX_LENGTH, on_corrupt: str = "raise",
                 name: str | None = None):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no LMDB at {self.path}")
        self._init_common(domain, charset, max_length, on_corrupt, name or self.path.name)
        self._env = None
        self._pid = None
        self._keys: list[int] = []
        env = _open(self.path)
        with env.begin() as txn:
            raw = txn.get(b"num-samples")
            if raw is None:
                raise ValueError(f"{self.path}: no 'num-samples' key (not a benchmark-layout LMDB)")
            self.num_samples = int(raw.decode("ascii").strip())
            for k in range(1, self.num_samples + 1):
                label = txn.get(b"label-%09d" % k)
                if label is None:
                    raise ValueError(f"{self.path}: missing key label-{k:09d}")
                try:
                    text = label.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ValueError(f"{self.path}: label-{k:09d} is not UTF-8") from exc
                name_k = str(k)
                norm = self._filter(name_k, text)
                if norm is None:
                    continue
                self._keys.append(k)
                self._names.append(name_k)
                self._texts.append(norm)

    # The environment never travels with the object (pickling, fork): each process opens its own.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_env"] = None
        state["_pid"] = None
        return state

    def _txn(self):
        if self._env is None or self._pid != os.getpid():
            self._env = _open(self.path)
            self._pid = os.getpid()
        return self._env.begin(buffers=False)

    def close(self) -> None:
        """Forget this dataset's handle (the process-wide environment stays open)."""
        self._env = None

    def raw_image(self, i: int) -> bytes:
        k = self._keys[i]
        with self._txn() as txn:
            data = txn.get(b"image-%09d" % k)
        if data is None:
            raise CorruptImageError(f"{self.path}:image-{k:09d}", "key missing")
        return bytes(data)

    def iter_raw(self) -> Iterator[tuple[str, bytes]]:
        """Every stored image (kept or not) as (name, encoded bytes): for the leakage guard."""
        with self._txn() as txn:
            for k in range(1, self.num_samples + 1):
                data = txn.get(b"image-%09d" % k)
                if data is not None:
                    yield f"{self.name}:{k}", bytes(data)

    def _load(self, i: int) -> np.ndarray:
        return decode_gray(self.raw_image(i), f"{self.path}:image-{self._keys[i]:09d}")

    def _size(self, i: int) -> tuple[int, int]:
        return header_size(self.raw_image(i))

    def _select(self, keep: list[int]) -> None:
        self._keys = [self._keys[i] for i in keep]
        super()._select(keep)


def encode_png(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def write_lmdb(path: str | Path, samples: Iterable[Any], map_size: int | None = None) -> int:
    """Write samples in the benchmark layout; returns the count.

    Each item is a :class:`Sample`-like object (``.image``, ``.text``, optional ``.source``) or
    a tuple ``(image, text[, source])``; an image is encoded bytes (stored as they are) or a
    uint8 array (stored as PNG).
    """
    lmdb = _lmdb()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    stale = _ENVS.pop((os.getpid(), str(path.resolve())), None)
    if stale is not None:  # lmdb allows one handle per database and process
        stale.close()
    env = lmdb.open(str(path), map_size=map_size or (1 << 40))  # sparse on Linux
    n = 0
    try:
        txn = env.begin(write=True)
        for item in samples:
            if isinstance(item, tuple):
                image, text = item[0], item[1]
                source = item[2] if len(item) > 2 else ""
            else:
                image, text, source = item.image, item.text, getattr(item, "source", "")
            if "\n" in text:
                raise ValueError(f"label with a newline: {text!r}")
            data = bytes(image) if isinstance(image, (bytes, bytearray, memoryview)) else encode_png(image)
            n += 1
            txn.put(b"image-%09d" % n, data)
            txn.put(b"label-%09d" % n, text.encode("utf-8"))
            if source:
                txn.put(b"path-%09d" % n, str(source).encode("utf-8"))
            if n % 1000 == 0:
                txn.commit()
                txn = env.begin(write=True)
        txn.put(b"num-samples", str(n).encode("ascii"))
        txn.commit()
    finally:
        env.sync()
        env.close()
    return n


def tsv_to_lmdb(root: str | Path, out: str | Path, labels_file: str = "labels.tsv") -> int:
    """Convert a labels.tsv folder to an LMDB: file bytes copied unchanged, labels unchanged
    (filtering happens when reading). Returns the number of items written."""
    root = Path(root)
    rows = read_labels_tsv(root / labels_file)

    def items() -> Iterator[tuple[bytes, str, str]]:
        for lineno, rel, text in rows:
            p = root / rel
            try:
                data = p.read_bytes()
            except OSError as exc:
                raise CorruptImageError(str(p), f"listed on line {lineno}: {exc}") from exc
            yield data, text, rel

    return write_lmdb(out, items())
