"""Render synthetic samples once to disk, then stream them in training.

Layout of a cache folder::

    meta.json                 spec, seed, n, shard size, asset fingerprints, format version
    shard-00000.bin           the shard's images, PNG-encoded (lossless), concatenated
    shard-00000.labels.json   [[text, domain], ...] in index order
    shard-00000.idx.npy       int64 offsets (count + 1) into the .bin; written LAST, so its
                              presence with the right count marks a finished shard

Why flat shards rather than LMDB: no extra dependency; each shard is written by exactly one
worker with no shared writer lock; a killed run leaves at most unfinished shards that are
simply rendered again (resume = skip shards whose index file is complete); reading is a
read-only ``np.memmap`` of the .bin (zero-copy, shared page cache between DataLoader workers)
plus a PNG decode; and a shard can be copied, checked or deleted with ordinary file tools.
PNG keeps the samples bit-identical to direct rendering (JPEG would not), at ~2-6 KB per word.

Sample ``i`` of a cache is ``make_generator(spec, seed).sample(i)``: content depends only on
(spec, seed, index) and the installed fonts/text assets, never on the number of workers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from training.synth.types import SynthSample

FORMAT = "unitext-synth-cache"
VERSION = 1
DEFAULT_SHARD_SIZE = 1000


# ---------------------------------------------------------------- encoding

def encode_image(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def decode_image(data: bytes | np.ndarray) -> np.ndarray:
    buf = np.frombuffer(data, np.uint8) if isinstance(data, (bytes, bytearray)) else data
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError("corrupt PNG in cache")
    return img


def shard_name(shard: int) -> str:
    return f"shard-{shard:05d}"


def shard_ranges(n: int, shard_size: int) -> list[tuple[int, int, int]]:
    """(shard, start, stop) for n samples."""
    return [(s, a, min(n, a + shard_size)) for s, a in enumerate(range(0, n, shard_size))]


def shard_complete(out_dir: Path, shard: int, count: int) -> bool:
    base = out_dir / shard_name(shard)
    idx = base.with_name(base.name + ".idx.npy")
    if not (idx.exists() and base.with_name(base.name + ".bin").exists()
            and base.with_name(base.name + ".labels.json").exists()):
        return False
    try:
        offsets = np.load(idx, mmap_mode="r")
    except (OSError, ValueError):
        return False
    return len(offsets) == count + 1


def cache_complete(path: Path, n: int, assets: dict[str, str]) -> bool:
    """True when the cache at ``path`` holds all ``n`` samples, rendered with ``assets``."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        size = int(meta["shard_size"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if int(meta.get("n", -1)) != n or meta.get("assets") != assets:
        return False
    return all(shard_complete(path, k, stop - start) for k, start, stop in shard_ranges(n, size))


# ---------------------------------------------------------------- rendering (workers)

_GEN_CACHE: dict[tuple[str, int], Any] = {}


def _generator(spec: str, seed: int):
    key = (spec, seed)
    if key not in _GEN_CACHE:
        from training.synth.mixed import make_generator
        _GEN_CACHE[key] = make_generator(spec, seed)
    return _GEN_CACHE[key]


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def render_shard(out_dir: str | os.PathLike, spec: str, seed: int, shard: int, start: int,
                 stop: int) -> tuple[int, int, float]:
    """Render samples [start, stop) into shard files; returns (shard, count, seconds)."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    gen = _generator(spec, seed)
    blobs, labels = [], []
    for i in range(start, stop):
        s = gen.sample(i)
        blobs.append(encode_image(s.image))
        labels.append([s.text, s.domain])
    offsets = np.zeros(len(blobs) + 1, np.int64)
    offsets[1:] = np.cumsum([len(b) for b in blobs])
    base = out / shard_name(shard)
    _write_atomic(base.with_name(base.name + ".bin"), b"".join(blobs))
    _write_atomic(base.with_name(base.name + ".labels.json"),
                  json.dumps(labels, ensure_ascii=False).encode("utf-8"))
    tmp = base.with_name(base.name + f".idx.tmp{os.getpid()}.npy")
    np.save(tmp, offsets)
    os.replace(tmp, base.with_name(base.name + ".idx.npy"))
    return shard, stop - start, time.perf_counter() - t0


def _render_task(args: tuple) -> tuple[int, int, float]:
    return render_shard(*args)


def asset_fingerprint() -> dict[str, str]:
    """What the rendered content depends on besides (spec, seed, index)."""
    from training.synth.fonts import default_library
    from training.synth.text_source import default_text_source
    return {"fonts": default_library().fingerprint(),
            "text": default_text_source().fingerprint()}


def render_cache(out_dir: str | os.PathLike, generator_spec: str | dict, n: int, seed: int = 0,
                 workers: int = 1, shard_size: int = DEFAULT_SHARD_SIZE, progress: bool = True,
                 start_method: str | None = None) -> dict[str, Any]:
    """Render ``n`` samples of ``generator_spec`` into ``out_dir``; resumable.

    Finished shards are skipped. A folder made with another spec, seed or shard size is an
    error (never mixed). ``n`` may grow between runs (more shards are rendered; a last
    partial shard is rendered again at its new size). Returns a summary dict with
    ``rendered_shards``, ``skipped_shards``, ``seconds`` and ``images_per_s``.
    """
    from training.synth.mixed import spec_string

    if n < 0 or shard_size < 1:
        raise ValueError("n must be >= 0 and shard_size >= 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    spec = spec_string(generator_spec)
    meta_path = out / "meta.json"
    assets = asset_fingerprint()
    recorded = assets  # shards already rendered keep the fingerprint they were made with
    if meta_path.exists():
        meta = json.loads(meta_path.read_text("utf-8"))
        recorded = meta.get("assets", assets)
        for k, v in (("spec", spec), ("seed", int(seed)), ("shard_size", int(shard_size))):
            if meta.get(k) != v:
                raise ValueError(f"{out} holds a cache with {k}={meta.get(k)!r}, not {v!r}: "
                                 "use another folder")
    meta = {"format": FORMAT, "version": VERSION, "spec": spec, "seed": int(seed), "n": int(n),
            "shard_size": int(shard_size), "assets": recorded}
    _write_atomic(meta_path, json.dumps(meta, indent=1).encode("utf-8"))

    ranges = shard_ranges(n, shard_size)
    todo = [(str(out), spec, int(seed), s, a, b) for s, a, b in ranges
            if not shard_complete(out, s, b - a)]
    skipped = len(ranges) - len(todo)
    if todo and recorded != assets:
        print(f"warning: fonts/text assets differ from those that rendered {out} "
              f"({recorded} vs {assets}); new shards will differ in style", file=sys.stderr)
    t0 = time.perf_counter()
    done_samples = 0
    if todo:
        if workers <= 1:
            results = map(_render_task, todo)
            pool = None
        else:
            ctx = mp.get_context(start_method or "spawn")
            pool = ctx.Pool(min(workers, len(todo)))
            results = pool.imap_unordered(_render_task, todo)
        try:
            for k, (shard, count, sec) in enumerate(results, 1):
                done_samples += count
                if progress:
                    el = time.perf_counter() - t0
                    print(f"shard {shard} done ({count} samples, {sec:.1f}s); {k}/{len(todo)} "
                          f"shards, {done_samples / max(el, 1e-9):.1f} img/s", file=sys.stderr)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    sec = time.perf_counter() - t0
    return {"out_dir": str(out), "spec": spec, "seed": int(seed), "n": int(n),
            "rendered_shards": len(todo), "skipped_shards": skipped,
            "rendered_samples": done_samples, "seconds": sec,
            "images_per_s": done_samples / sec if sec > 0 and done_samples else 0.0}


# ---------------------------------------------------------------- reading

@dataclass
class _Shard:
    offsets: np.ndarray
    data: np.ndarray  # memmap of the .bin
    labels: list


class CachedSynthDataset:
    """Map-style dataset over a rendered cache: ``ds[i] -> SynthSample``.

    Shards are opened lazily (memory-mapped) on first access in each process, and handles are
    dropped when the process id changes, so the dataset can be created in the parent and
    used in forked or spawned DataLoader workers. With ``strict`` (default) an unfinished
    cache is an error; otherwise only finished shards are indexed.
    """

    def __init__(self, out_dir: str | os.PathLike, strict: bool = True):
        self.out_dir = Path(out_dir)
        meta = json.loads((self.out_dir / "meta.json").read_text("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{out_dir} is not a synthetic cache")
        if meta.get("version") != VERSION:
            raise ValueError(f"cache version {meta.get('version')} unsupported")
        self.meta = meta
        n, size = int(meta["n"]), int(meta["shard_size"])
        shards = []
        for s, a, b in shard_ranges(n, size):
            if shard_complete(self.out_dir, s, b - a):
                shards.append((s, a, b))
            elif strict:
                raise ValueError(f"{out_dir}: shard {s} is not finished; run render_cache "
                                 "again to complete it (or strict=False)")
        self._shards = shards
        self._starts = np.array([0] + list(np.cumsum([b - a for _, a, b in shards])), np.int64)
        self._open: dict[int, _Shard] = {}
        self._pid = os.getpid()

    def __len__(self) -> int:
        return int(self._starts[-1])

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_open"] = {}
        return state

    def _shard(self, k: int) -> _Shard:
        if os.getpid() != self._pid:  # forked: reopen in this process
            self._open = {}
            self._pid = os.getpid()
        sh = self._open.get(k)
        if sh is None:
            s = self._shards[k][0]
            base = self.out_dir / shard_name(s)
            offsets = np.load(base.with_name(base.name + ".idx.npy"))
            binp = base.with_name(base.name + ".bin")
            data = (np.memmap(binp, dtype=np.uint8, mode="r") if binp.stat().st_size
                    else np.zeros(0, np.uint8))
            labels = json.loads(base.with_name(base.name + ".labels.json").read_text("utf-8"))
            sh = _Shard(offsets, data, labels)
            self._open[k] = sh
        return sh

    def locate(self, i: int) -> tuple[int, int]:
        """(shard position, offset in shard) of sample ``i``."""
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        k = int(np.searchsorted(self._starts, i, side="right") - 1)
        return k, i - int(self._starts[k])

    def __getitem__(self, i: int) -> SynthSample:
        k, j = self.locate(int(i))
        sh = self._shard(k)
        a, b = int(sh.offsets[j]), int(sh.offsets[j + 1])
        img = decode_image(np.asarray(sh.data[a:b]))
        text, domain = sh.labels[j]
        return SynthSample(image=img, text=text, domain=domain)

    def image_size(self, i: int) -> tuple[int, int]:
        """(width, height) from the PNG header alone, so width bucketing needs no decoding."""
        k, j = self.locate(int(i))
        sh = self._shard(k)
        a = int(sh.offsets[j])
        header = np.asarray(sh.data[a + 16:a + 24]).tobytes()
        return int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")

    def global_index(self, i: int) -> int:
        """The generator index that rendered sample ``i`` (differs from i only if partial)."""
        k, j = self.locate(int(i))
        return self._shards[k][1] + j


class OnTheFlyDataset:
    """Map-style dataset that renders sample ``i`` on demand (in DataLoader workers).

    ``OnTheFlyDataset(generator, length)`` wraps a built generator (fine with fork);
    ``OnTheFlyDataset.from_spec(spec, seed, length)`` builds the generator lazily in each
    process, so only the short spec is pickled to spawned workers.
    """

    def __init__(self, generator: Any, length: int, offset: int = 0):
        self._generator = generator
        self._spec: tuple[str, int] | None = None
        self.length = int(length)
        self.offset = int(offset)

    @classmethod
    def from_spec(cls, spec: str | dict, seed: int, length: int, offset: int = 0
                  ) -> "OnTheFlyDataset":
        from training.synth.mixed import spec_string
        ds = cls(None, length, offset)
        ds._spec = (spec_string(spec), int(seed))
        return ds

    @property
    def generator(self):
        if self._generator is None:
            assert self._spec is not None
            self._generator = _generator(*self._spec)
        return self._generator

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self._spec is not None:
            state["_generator"] = None
        return state

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> SynthSample:
        i = int(i)
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError(i)
        return self.generator.sample(self.offset + i)


# ---------------------------------------------------------------- measuring

def measure_generators(n: int = 50, seed: int = 0,
                       specs: Sequence[str] = ("scene", "handwriting:word", "handwriting:line"),
                       verbose: bool = True) -> dict[str, float]:
    """Single-process rendering speed (images/s) per spec, after a warm-up sample."""
    from training.synth.mixed import make_generator
    out = {}
    for spec in specs:
        gen = make_generator(spec, seed)
        gen.sample(10_000_000)  # warm-up: fonts, text, wallpapers
        t0 = time.perf_counter()
        for i in range(n):
            gen.sample(i)
        rate = n / (time.perf_counter() - t0)
        out[spec] = rate
        if verbose:
            print(f"render {spec}: {rate:.1f} images/s (1 process, n={n})")
    return out


def measure_cache_read(out_dir: str | os.PathLike, n: int = 500, seed: int = 0,
                       verbose: bool = True) -> float:
    """Random-access read speed (images/s, decode included) of a rendered cache."""
    ds = CachedSynthDataset(out_dir, strict=False)
    if len(ds) == 0:
        raise ValueError(f"{out_dir} holds no finished shard")
    idx = np.random.default_rng(seed).integers(0, len(ds), n)
    ds[int(idx[0])]
    t0 = time.perf_counter()
    for i in idx:
        ds[int(i)]
    rate = n / (time.perf_counter() - t0)
    if verbose:
        print(f"read {out_dir}: {rate:.1f} images/s (random access, n={n})")
    return rate


# ---------------------------------------------------------------- CLI helpers

def add_render_cache_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("out_dir", help="cache folder (created; resumed if it exists)")
    p.add_argument("--spec", default="mix",
                   help="generator spec: scene | handwriting:word|line|mixed | mix[:a=w,...]")
    p.add_argument("-n", "--n", type=int, default=10_000, help="number of samples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 0))
    p.add_argument("--shard-size", type=int, default=DEFAULT_SHARD_SIZE)
    p.add_argument("--quiet", action="store_true")
    return p


def main_render_cache(args: argparse.Namespace) -> int:
    """CLI entry: render (or resume) a cache from parsed ``add_render_cache_arguments``."""
    res = render_cache(args.out_dir, args.spec, args.n, seed=args.seed, workers=args.workers,
                       shard_size=args.shard_size, progress=not args.quiet)
    print(f"{res['out_dir']}: {res['n']} samples of {res['spec']} (seed {res['seed']}); "
          f"rendered {res['rendered_shards']} shards, skipped {res['skipped_shards']} "
          f"finished; {res['images_per_s']:.1f} images/s")
    return 0


def main_measure(args: argparse.Namespace) -> int:
    """CLI entry: print generator speeds, and the read speed of ``args.cache`` if given."""
    measure_generators(n=getattr(args, "n", 50), seed=getattr(args, "seed", 0))
    if getattr(args, "cache", None):
        measure_cache_read(args.cache, n=max(100, 10 * getattr(args, "n", 50)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.cache")
    sub = ap.add_subparsers(dest="cmd", required=True)
    add_render_cache_arguments(sub.add_parser("render", help="render a synthetic cache"))
    m = sub.add_parser("measure", help="images/s of the generators (and of a cache)")
    m.add_argument("--n", type=int, default=50)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--cache", default=None)
    args = ap.parse_args(argv)
    return main_render_cache(args) if args.cmd == "render" else main_measure(args)


if __name__ == "__main__":
    sys.exit(main())
