"""A folder of crops with a ``labels.tsv`` (``relative/path<TAB>text``, UTF-8, no header).

Images are decoded lazily (one per ``__getitem__``), so the dataset is cheap to build and to
send to DataLoader workers. Labels the charset cannot encode, empty ones and ones longer
than ``max_length`` are left out and counted in ``.skipped`` (see :class:`SkipReport`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.charset import Charset

from .samples import (
    CORRUPT_IMAGE,
    DEFAULT_MAX_LENGTH,
    FILTERED,
    MISSING_IMAGE,
    CorruptImageError,
    LabelFormatError,
    Sample,
    SkipReport,
    check_domain,
    check_label,
    header_size,
    load_gray,
)

ON_CORRUPT = ("raise", "skip")


def read_labels_tsv(path: str | Path) -> list[tuple[int, str, str]]:
    """-> [(line number, relative path, text)]. Tolerates a BOM, CRLF and blank lines;
    a line without a tab, with a tab inside the text, or not UTF-8 is an error naming the line."""
    path = Path(path)
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    rows = []
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        raw = raw.rstrip(b"\r")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LabelFormatError(f"{path}:{lineno}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) == 1:
            raise LabelFormatError(f"{path}:{lineno}: no tab between the image path and the text")
        if len(parts) > 2:
            raise LabelFormatError(f"{path}:{lineno}: tab inside the text ({len(parts) - 1} tabs on the line)")
        rel, text = parts
        if not rel.strip():
            raise LabelFormatError(f"{path}:{lineno}: empty image path")
        rows.append((lineno, rel.strip(), text))
    return rows


def read_meta_tsv(path: str | Path) -> dict[str, dict[str, str]]:
    """meta.tsv (header row, first column the file) -> {file: row}."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        if not reader.fieldnames:
            return {}
        key = reader.fieldnames[0]
        return {row[key]: dict(row) for row in reader if row.get(key)}


class LabelledImages:
    """Common part of the loaders: kept items, skip report, lazy decoding, sizes, groups.

    Subclasses fill ``_names`` (relative names), ``_texts`` (normalised), ``_groups`` and
    implement ``_load(i)`` and ``_size(i)``.
    """

    domain: str
    name: str
    skipped: SkipReport
    on_corrupt: str
    _names: list[str]
    _texts: list[str]
    _groups: list[str] | None

    def _init_common(self, domain: str, charset: Charset | None, max_length: int | None,
                     on_corrupt: str, name: str) -> None:
        self.domain = check_domain(domain)
        self.charset = charset if charset is not None else Charset()
        self.max_length = max_length
        if on_corrupt not in ON_CORRUPT:
            raise ValueError(f"on_corrupt must be one of {ON_CORRUPT}")
        self.on_corrupt = on_corrupt
        self.name = name
        self.skipped = SkipReport()
        self._names, self._texts, self._groups = [], [], None
        self._sizes: np.ndarray | None = None
        self._bad: set[int] = set()

    def _filter(self, name: str, text: str) -> str | None:
        reason, norm, unknown = check_label(text, self.charset, self.max_length)
        if reason is not None:
            self.skipped.add(reason, name, unknown)
            return None
        return norm

    # --- map-style dataset -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._names)

    def __getitem__(self, i: int) -> Sample:
        n = len(self._names)
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for {n} samples")
        i %= n
        for attempt in range(n):
            j = (i + attempt) % n
            if j in self._bad:
                continue
            try:
                image = self._load(j)
            except CorruptImageError:
                if self.on_corrupt == "raise":
                    raise
                # Skip mode: count it once and serve the next sample instead (deterministic).
                self._bad.add(j)
                self.skipped.add(CORRUPT_IMAGE, self._names[j])
                continue
            return Sample(image, self._texts[j], self.domain, f"{self.name}:{self._names[j]}")
        raise CorruptImageError(self.name, "no sample in the dataset can be decoded")

    def _load(self, i: int) -> np.ndarray:
        raise NotImplementedError

    def _size(self, i: int) -> tuple[int, int]:
        raise NotImplementedError

    # --- metadata ------------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        """Normalised texts of the kept samples, in index order."""
        return list(self._texts)

    @property
    def names(self) -> list[str]:
        return list(self._names)

    @property
    def groups(self) -> list[str] | None:
        """Document / hand id per kept sample (for grouped held-out splits), or None."""
        return None if self._groups is None else list(self._groups)

    def image_size(self, i: int) -> tuple[int, int]:
        """(width, height) from the image header, without decoding the pixels (cached)."""
        if self._sizes is None:
            self._sizes = np.full((len(self), 2), -1, dtype=np.int32)
        if self._sizes[i, 0] < 0:
            try:
                self._sizes[i] = self._size(i)
            except Exception:
                self._sizes[i] = (1, 1)  # undecodable: shows up when the sample is loaded
        w, h = self._sizes[i]
        return int(w), int(h)

    def image_sizes(self) -> np.ndarray:
        """(N, 2) int array of (width, height) for every kept sample, read once and cached."""
        for i in range(len(self)):
            self.image_size(i)
        if self._sizes is None:
            self._sizes = np.zeros((0, 2), dtype=np.int32)
        return self._sizes.copy()

    def verify(self) -> int:
        """Decode every image now. In skip mode the bad ones are dropped (and counted);
        in raise mode the first bad one raises. Returns the number dropped."""
        bad = []
        for i in range(len(self)):
            try:
                self._load(i)
            except CorruptImageError:
                if self.on_corrupt == "raise":
                    raise
                bad.append(i)
        for i in bad:
            if i not in self._bad:
                self.skipped.add(CORRUPT_IMAGE, self._names[i])
        self._drop(set(bad) | self._bad)
        return len(bad)

    def _drop(self, drop: set[int]) -> None:
        if not drop:
            return
        keep = [i for i in range(len(self._names)) if i not in drop]
        self._select(keep)
        self._bad = set()

    def _select(self, keep: list[int]) -> None:
        self._names = [self._names[i] for i in keep]
        self._texts = [self._texts[i] for i in keep]
        if self._groups is not None:
            self._groups = [self._groups[i] for i in keep]
        if self._sizes is not None:
            self._sizes = self._sizes[keep]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.name!r}, domain={self.domain!r}, "
                f"{len(self)} samples, {self.skipped.summary()})")


def group_from_name(rel: str) -> str | None:
    """``images/<source>__<page>__<line>.jpg`` -> ``<source>__<page>``; None without ``__``."""
    stem = Path(rel).stem
    if "__" not in stem:
        return None
    return stem.rsplit("__", 1)[0]


def group_from_meta(rel: str, row: dict[str, str]) -> str | None:
    doc = (row.get("doc_id") or "").strip()
    if not doc:
        return None
    source = row.get("source_repo") or Path(rel).stem.split("__", 1)[0]
    return f"{source}/{doc}"


class TsvFolderDataset(LabelledImages):
    """``root/labels.tsv`` + images, as :class:`Sample` (uint8 gray, normalised text).

    - ``charset``: labels it cannot encode are skipped and counted (default: ``Charset()``).
    - ``max_length``: longer labels are skipped and counted (None: no limit).
    - ``on_corrupt``: ``"raise"`` (default) raises :class:`CorruptImageError` naming the file
      (a missing file raises at construction); ``"skip"`` counts it and serves the next sample.
    - ``where``: optional filter on the ``meta.tsv`` row (e.g. leave out born-digital words);
      rows it rejects are counted as ``filtered``.
    - ``.all_paths``: every file listed in labels.tsv, kept or not (for the leakage guard).
    """

    def __init__(self, root: str | Path, domain: str, charset: Charset | None = None, *,
                 max_length: int | None = DEFAULT_MAX_LENGTH, labels_file: str = "labels.tsv",
                 on_corrupt: str = "raise", where: Callable[[dict[str, str]], bool] | None = None,
                 name: str | None = None, check_files: bool = True):
        self.root = Path(root)
        self._init_common(domain, charset, max_length, on_corrupt, name or self.root.name)
        labels_path = self.root / labels_file
        if not labels_path.is_file():
            raise FileNotFoundError(f"no {labels_file} in {self.root}")
        rows = read_labels_tsv(labels_path)
        meta_path = self.root / "meta.tsv"
        self.meta: dict[str, dict[str, str]] = read_meta_tsv(meta_path) if meta_path.is_file() else {}
        self.all_paths = [self.root / rel for _, rel, _ in rows]
        groups: list[str | None] = []
        missing = []
        for lineno, rel, text in rows:
            row = self.meta.get(rel, {"file": rel})
            if where is not None and not where(row):
                self.skipped.add(FILTERED, rel)
                continue
            norm = self._filter(rel, text)
            if norm is None:
                continue
            if check_files and not (self.root / rel).is_file():
                if on_corrupt == "raise":
                    missing.append(f"{rel} (line {lineno})")
                else:
                    self.skipped.add(MISSING_IMAGE, rel)
                continue
            self._names.append(rel)
            self._texts.append(norm)
            groups.append(group_from_meta(rel, row) if rel in self.meta else group_from_name(rel))
        if missing:
            shown = ", ".join(missing[:10])
            raise CorruptImageError(str(labels_path), f"{len(missing)} listed images are missing: {shown}")
        if groups and all(g is not None for g in groups):
            self._groups = [str(g) for g in groups]

    @property
    def paths(self) -> list[Path]:
        """Absolute paths of the kept samples, in index order."""
        return [self.root / rel for rel in self._names]

    def path(self, i: int) -> Path:
        return self.root / self._names[i]

    def meta_row(self, i: int) -> dict[str, Any]:
        return self.meta.get(self._names[i], {"file": self._names[i]})

    def _load(self, i: int) -> np.ndarray:
        return load_gray(self.root / self._names[i])

    def _size(self, i: int) -> tuple[int, int]:
        return header_size(self.root / self._names[i])
