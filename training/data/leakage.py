"""The no-leakage guard: training must never see an evaluation image.

Every image gets three fingerprints:

- ``raw``: SHA-1 of the file bytes (a copied file);
- ``pixel``: SHA-1 of the decoded pixels as 8-bit gray, with the size (the same picture
  re-encoded losslessly, e.g. PNG at another compression level, or converted to gray);
- ``phash``: the image shrunk to 16x16 gray, mean removed, unit norm (near-duplicates:
  re-encoded JPEG, small crops or scaling). Two images' score is the dot product
  (normalised correlation).

:func:`check_no_leakage` refuses (raises :class:`LeakageError`) on any exact byte or pixel
match, and reports perceptual matches above a threshold (they need a human look: at 16x16
different crops of the same sign or letterhead also match).

The evaluation index is cached per dataset folder, keyed by a hash of the folder's listing
(relative paths, sizes, mtimes), so later runs only stat the files. Training folders are
cached the same way.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .samples import CorruptImageError, decode_gray

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pgm", ".ppm", ".jp2"}
PHASH_SIZE = 16
CACHE_FORMAT = "unitext-leakage-1"
_EMPTY = b"\x00" * 20


class LeakageError(RuntimeError):
    """Training data holds evaluation images; the message names them."""

    def __init__(self, report: "LeakageReport"):
        self.report = report
        super().__init__(report.leak_message())


def default_cache_dir() -> Path:
    env = os.environ.get("UNITEXT_CACHE")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / "cache"
    return base / "leakage"


# --- fingerprints --------------------------------------------------------------------------

def pixel_hash(gray: np.ndarray) -> bytes:
    gray = np.ascontiguousarray(gray, dtype=np.uint8)
    h = hashlib.sha1(f"{gray.shape[0]}x{gray.shape[1]};".encode())
    h.update(gray.tobytes())
    return h.digest()


def perceptual_vector(gray: np.ndarray) -> np.ndarray:
    """16x16 gray, mean removed, unit L2 norm (float32, 256). Flat images give zeros."""
    small = cv2.resize(gray, (PHASH_SIZE, PHASH_SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    if norm < 1e-3 * small.size:
        return np.zeros(PHASH_SIZE * PHASH_SIZE, dtype=np.float32)
    return (small / norm).ravel()


@dataclass
class HashTable:
    """Fingerprints of a set of images (one row per image)."""

    names: list[str]
    raw: np.ndarray  # (N,) S20, zeros where unknown (in-memory images)
    pixel: np.ndarray  # (N,) S20, zeros where undecodable
    phash: np.ndarray  # (N, 256) float32
    aspect: np.ndarray  # (N,) float32, width / height
    errors: list[str] = field(default_factory=list)

    @classmethod
    def empty(cls) -> "HashTable":
        return cls([], np.zeros(0, "S20"), np.zeros(0, "S20"),
                   np.zeros((0, PHASH_SIZE * PHASH_SIZE), np.float32), np.zeros(0, np.float32))

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, bytes, bytes, np.ndarray, float]],
                  errors: list[str] | None = None) -> "HashTable":
        if not rows:
            t = cls.empty()
            t.errors = list(errors or [])
            return t
        names, raw, pixel, ph, aspect = zip(*rows)
        return cls(list(names), np.array(raw, dtype="S20"), np.array(pixel, dtype="S20"),
                   np.stack(ph).astype(np.float32), np.array(aspect, dtype=np.float32), list(errors or []))

    @classmethod
    def concat(cls, tables: Sequence["HashTable"]) -> "HashTable":
        tables = [t for t in tables if len(t)]
        if not tables:
            return cls.empty()
        return cls(sum((t.names for t in tables), []), np.concatenate([t.raw for t in tables]),
                   np.concatenate([t.pixel for t in tables]), np.concatenate([t.phash for t in tables]),
                   np.concatenate([t.aspect for t in tables]), sum((t.errors for t in tables), []))

    def __len__(self) -> int:
        return len(self.names)

    def save(self, path: Path, key: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        with open(tmp, "wb") as f:
            np.savez(f, format=np.array(CACHE_FORMAT), key=np.array(key), names=np.array(self.names, dtype=str),
                     raw=self.raw, pixel=self.pixel, phash=self.phash.astype(np.float16),
                     aspect=self.aspect, errors=np.array(self.errors, dtype=str))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, key: str) -> "HashTable | None":
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["format"]) != CACHE_FORMAT or str(z["key"]) != key:
                    return None
                return cls([str(n) for n in z["names"]], z["raw"].astype("S20"), z["pixel"].astype("S20"),
                           z["phash"].astype(np.float32), z["aspect"].astype(np.float32),
                           [str(e) for e in z["errors"]])
        except (OSError, KeyError, ValueError):
            return None


def hash_bytes(data: bytes, name: str) -> tuple[tuple[str, bytes, bytes, np.ndarray, float], str | None]:
    """-> (row, error or None). An undecodable image keeps its byte hash."""
    raw = hashlib.sha1(data).digest()
    try:
        gray = decode_gray(data, name)
    except CorruptImageError as exc:
        return (name, raw, _EMPTY, np.zeros(PHASH_SIZE * PHASH_SIZE, np.float32), 0.0), str(exc)
    return (name, raw, pixel_hash(gray), perceptual_vector(gray), gray.shape[1] / gray.shape[0]), None


def hash_array(gray: np.ndarray, name: str) -> tuple[str, bytes, bytes, np.ndarray, float]:
    gray = np.asarray(gray)
    if gray.ndim == 3:
        from engine.preprocess import to_gray
        gray = to_gray(gray)
    return (name, _EMPTY, pixel_hash(gray), perceptual_vector(gray), gray.shape[1] / max(1, gray.shape[0]))


def _listing_key(files: Sequence[tuple[str, Path]]) -> str:
    h = hashlib.sha1(CACHE_FORMAT.encode())
    for name, path in files:
        st = path.stat()
        h.update(f"{name}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def image_files(root: Path) -> list[tuple[str, Path]]:
    """Every image file under ``root`` (recursively, hidden ones left out), sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in filenames:
            if fn.startswith(".") or Path(fn).suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            p = Path(dirpath) / fn
            out.append((p.relative_to(root).as_posix(), p))
    return sorted(out)


def hash_files(files: Sequence[tuple[str, Path]], cache_file: Path | None = None) -> HashTable:
    """Fingerprints of ``(name, path)`` files; cached in ``cache_file`` keyed by the listing."""
    key = _listing_key(files)
    if cache_file is not None and cache_file.is_file():
        table = HashTable.load(cache_file, key)
        if table is not None:
            return table
    rows, errors = [], []
    for name, path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            errors.append(f"{name}: {exc}")
            continue
        row, err = hash_bytes(data, name)
        rows.append(row)
        if err:
            errors.append(err)
    table = HashTable.from_rows(rows, errors)
    if cache_file is not None:
        table.save(cache_file, key)
    return table


def _cache_file(cache_dir: Path | None, kind: str, root: Path) -> Path | None:
    if cache_dir is None:
        return None
    tag = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:10]
    return cache_dir / f"{kind}-{root.name}-{tag}.npz"


def hash_folder(root: str | Path, cache_dir: Path | None = None, kind: str = "folder") -> HashTable:
    """Every image under ``root``; names are ``<folder name>/<relative path>``."""
    root = Path(root)
    files = [(f"{root.name}/{rel}", p) for rel, p in image_files(root)]
    return hash_files(files, _cache_file(cache_dir, kind, root))


# --- evaluation index ----------------------------------------------------------------------

def find_evaluation_sets(shared_data_dir: str | Path) -> list[Path]:
    """Every dataset folder under shared/data not named ``train-*`` (sorted)."""
    base = Path(shared_data_dir)
    if not base.is_dir():
        raise FileNotFoundError(f"no data folder at {base}")
    return sorted(p for p in base.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "train-")))


class EvalIndex:
    """Fingerprints of every evaluation image, with lookups by byte and pixel hash."""

    def __init__(self, table: HashTable, roots: Sequence[Path] = (), seconds: float = 0.0):
        self.table = table
        self.roots = list(roots)
        self.build_seconds = seconds
        self._raw = {h: i for i, h in enumerate(table.raw.tolist()) if h != _EMPTY}
        self._pixel = {h: i for i, h in enumerate(table.pixel.tolist()) if h != _EMPTY}

    @classmethod
    def build(cls, sources: Iterable[str | Path], cache_dir: str | Path | None = "default") -> "EvalIndex":
        """Index dataset folders (every image under each, e.g. hw-pages' whole pages too) and/or
        single image files. ``cache_dir``: "default" (repo cache/leakage or $UNITEXT_CACHE/leakage),
        a folder, or None for no cache."""
        t0 = time.perf_counter()
        cdir = default_cache_dir() if cache_dir == "default" else (Path(cache_dir) if cache_dir else None)
        tables, roots, loose = [], [], []
        for src in sources:
            p = Path(src)
            if p.is_dir():
                roots.append(p)
                tables.append(hash_folder(p, cdir, kind="eval"))
            elif p.is_file():
                loose.append((p.as_posix(), p))
            else:
                raise FileNotFoundError(f"evaluation source not found: {p}")
        if loose:
            tables.append(hash_files(loose))
        return cls(HashTable.concat(tables), roots, time.perf_counter() - t0)

    @classmethod
    def for_shared(cls, shared_data_dir: str | Path, cache_dir: str | Path | None = "default") -> "EvalIndex":
        return cls.build(find_evaluation_sets(shared_data_dir), cache_dir)

    def __len__(self) -> int:
        return len(self.table)

    def match_raw(self, digest: bytes) -> str | None:
        i = self._raw.get(digest)
        return None if i is None else self.table.names[i]

    def match_pixel(self, digest: bytes) -> str | None:
        i = self._pixel.get(digest)
        return None if i is None else self.table.names[i]


# --- the check ---------------------------------------------------------------------------

@dataclass
class LeakageReport:
    exact_bytes: list[tuple[str, str]] = field(default_factory=list)  # (train, eval)
    exact_pixels: list[tuple[str, str]] = field(default_factory=list)  # not byte-identical
    perceptual: list[tuple[str, str, float]] = field(default_factory=list)  # reported only
    n_train: int = 0
    n_eval: int = 0
    errors: list[str] = field(default_factory=list)  # training images that could not be decoded
    seconds: float = 0.0

    @property
    def leaks(self) -> list[tuple[str, str, str]]:
        return ([(t, e, "identical bytes") for t, e in self.exact_bytes]
                + [(t, e, "identical pixels") for t, e in self.exact_pixels])

    @property
    def ok(self) -> bool:
        return not self.exact_bytes and not self.exact_pixels

    def leak_message(self, limit: int = 10) -> str:
        leaks = self.leaks
        shown = "; ".join(f"{t} == {e} ({why})" for t, e, why in leaks[:limit])
        more = f"; ... and {len(leaks) - limit} more" if len(leaks) > limit else ""
        return (f"{len(leaks)} training images are evaluation images (training refused): "
                f"{shown}{more}")

    def raise_if_leaking(self) -> None:
        if not self.ok:
            raise LeakageError(self)

    def summary(self) -> str:
        text = (f"{self.n_train} training images checked against {self.n_eval} evaluation images "
                f"in {self.seconds:.1f} s: {len(self.exact_bytes)} byte-identical, "
                f"{len(self.exact_pixels)} pixel-identical, {len(self.perceptual)} perceptual matches")
        if self.perceptual:
            top = sorted(self.perceptual, key=lambda m: -m[2])[:5]
            text += " (" + "; ".join(f"{t} ~ {e} {s:.3f}" for t, e, s in top) + ")"
        if self.errors:
            text += f"; {len(self.errors)} training images could not be decoded"
        return text


def _underlying(dataset: Any) -> Any:
    while hasattr(dataset, "dataset") and hasattr(dataset, "indices"):  # subsets: check the whole base
        dataset = dataset.dataset
    return dataset


def hash_training_dataset(dataset: Any, cache_dir: Path | None = None,
                          max_items: int | None = None) -> HashTable:
    """Fingerprints of a training dataset: a folder path, a loader with ``all_paths``/``paths``
    (every listed file, kept or skipped), an LMDB (``iter_raw``), or any map-style dataset of
    ``.image`` arrays (pixel + perceptual only; ``max_items`` caps how many)."""
    if isinstance(dataset, (str, Path)):
        return hash_folder(dataset, cache_dir, kind="train")
    base = _underlying(dataset)
    paths = getattr(base, "all_paths", None) or getattr(base, "paths", None)
    if paths is not None:
        root = Path(getattr(base, "root", Path(paths[0]).parent if paths else "."))
        label = getattr(base, "name", root.name)
        files = []
        for p in paths:
            p = Path(p)
            try:
                rel = p.relative_to(root).as_posix()
            except ValueError:
                rel = p.as_posix()
            files.append((f"{label}/{rel}", p))
        return hash_files(files, _cache_file(cache_dir, "train", root))
    if hasattr(base, "iter_raw"):
        rows, errors = [], []
        for name, data in base.iter_raw():
            row, err = hash_bytes(data, name)
            rows.append(row)
            if err:
                errors.append(err)
        return HashTable.from_rows(rows, errors)
    n = len(base) if max_items is None else min(len(base), max_items)
    label = getattr(base, "name", type(base).__name__)
    rows = []
    for i in range(n):
        item = base[i]
        rows.append(hash_array(item.image, getattr(item, "source", "") or f"{label}:{i}"))
    return HashTable.from_rows(rows)


def check_no_leakage(train_datasets: Iterable[Any], eval_index: EvalIndex, *,
                     perceptual_threshold: float = 0.97, aspect_tolerance: float = 1.25,
                     raise_on_leak: bool = True, cache_dir: str | Path | None = "default",
                     max_items: int | None = None) -> LeakageReport:
    """Compare every training image with the evaluation index.

    Raises :class:`LeakageError` (first 10 names + count) on identical bytes or pixels unless
    ``raise_on_leak`` is False. Perceptual matches (score >= ``perceptual_threshold`` and
    aspect ratios within ``aspect_tolerance``) are reported in the result, not refused.
    """
    t0 = time.perf_counter()
    cdir = default_cache_dir() if cache_dir == "default" else (Path(cache_dir) if cache_dir else None)
    expanded = []
    for ds in train_datasets:  # a MixedSource stands for its components' datasets
        comps = getattr(ds, "components", None)
        expanded.extend([c.dataset for c in comps] if comps is not None else [ds])
    train = HashTable.concat([hash_training_dataset(ds, cdir, max_items) for ds in expanded])
    report = LeakageReport(n_train=len(train), n_eval=len(eval_index), errors=list(train.errors))
    matched = np.zeros(len(train), dtype=bool)
    for i, (name, raw, pix) in enumerate(zip(train.names, train.raw.tolist(), train.pixel.tolist())):
        hit = eval_index.match_raw(raw) if raw != _EMPTY else None
        if hit is not None:
            report.exact_bytes.append((name, hit))
            matched[i] = True
            continue
        hit = eval_index.match_pixel(pix) if pix != _EMPTY else None
        if hit is not None:
            report.exact_pixels.append((name, hit))
            matched[i] = True
    report.perceptual = _perceptual_matches(train, eval_index.table, matched,
                                            perceptual_threshold, aspect_tolerance)
    report.seconds = time.perf_counter() - t0
    if raise_on_leak:
        report.raise_if_leaking()
    return report


def _perceptual_matches(train: HashTable, ev: HashTable, skip: np.ndarray, threshold: float,
                        aspect_tolerance: float, chunk: int = 2048) -> list[tuple[str, str, float]]:
    out: list[tuple[str, str, float]] = []
    if not len(train) or not len(ev):
        return out
    e = ev.phash.T.copy()
    log_e = np.log(np.maximum(ev.aspect, 1e-6))
    tol = np.log(aspect_tolerance)
    for start in range(0, len(train), chunk):
        scores = train.phash[start:start + chunk] @ e
        log_t = np.log(np.maximum(train.aspect[start:start + chunk], 1e-6))
        close = np.abs(log_t[:, None] - log_e[None, :]) <= tol
        scores = np.where(close, scores, -1.0)
        best = scores.argmax(axis=1)
        best_score = scores[np.arange(len(best)), best]
        for r in np.flatnonzero(best_score >= threshold):
            i = start + int(r)
            if not skip[i]:
                out.append((train.names[i], ev.names[int(best[r])], float(best_score[r])))
    return out


def guard_training(train_datasets: Iterable[Any], shared_data_dir: str | Path, **kwargs: Any) -> LeakageReport:
    """What a training run calls before its first step: index every evaluation set under
    ``shared_data_dir`` (cached) and check the training data; raises :class:`LeakageError`."""
    index = EvalIndex.for_shared(shared_data_dir, kwargs.get("cache_dir", "default"))
    return check_no_leakage(train_datasets, index, **kwargs)
