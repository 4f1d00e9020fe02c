"""``make bench``: UniText beside the offline peers, on the same crops, in one process.

    python -m training.bench [--model FILE] [--sets DIR ...] [--limit N] \\
        [--engines unitext,rapidocr,tesseract] [--threads N] [--out results.md]

Every engine reads the same crops (the first ``--limit`` of each set's ``labels.tsv``, in file
order, like ``shared/docs/peers.md``) and is scored with :class:`training.metrics.ScoreCard`.
Latency is wall time per crop at batch 1 (``time.perf_counter``), model loaded and warmed up;
the engines take turns in blocks of crops, their order rotating, so background load on a shared
machine falls on all of them alike and the UniText/RapidOCR ratio is measured together rather
than taken from figures of different days. Loading times are reported apart.

Engines:

- ``unitext``: :class:`engine.recognizer.Recognizer` (batch 1; batch 32 throughput is
  reported too);
- ``rapidocr``: RapidOCR 3.x recognizer only, no detection, no direction classifier
  (``pip install rapidocr onnxruntime``: the ONNX models ship in the wheel, so it runs offline);
- ``tesseract``: Tesseract 5 LSTM through its C API in-process (``libtesseract.so.5``; Debian:
  ``apt-get install tesseract-ocr-eng libtesseract5``), page segmentation mode 8 (one word)
  for scene sets and 7 (one line) for handwriting sets.

An engine that is not installed is skipped with the reason printed; it is never an error.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .evaluate import HANDWRITING, SCENE, guess_domain, iter_eval_set
from .metrics import ScoreCard

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("UNITEXT_SHARED", REPO.parent / "shared")) / "data"
DEFAULT_SETS = ("scene-iiit5k", "scene-svt", "scene-ic15", "scene-svtp", "scene-cute80",
                "hw-hooker-lines", "hw-poilus-lines")
ENGINE_NAMES = ("unitext", "rapidocr", "tesseract")
# Crops an engine reads before the next engine takes its turn: short enough that load from
# other processes falls on every engine alike, long enough that each keeps its weights cached.
BLOCK = 5
WARMUP = 3  # crops each engine reads untimed at the start of every set


# --------------------------------------------------------------------------- engines


class EngineUnavailable(Exception):
    """The engine cannot run here (not installed, no model): skip it with this reason."""


@runtime_checkable
class Engine(Protocol):
    name: str
    version: str

    def set_domain(self, domain: str) -> None:
        """Called before each set: ``scene`` (word crops) or ``handwriting`` (line crops)."""

    def read(self, crop: np.ndarray) -> str:
        """Text of one uint8 RGB (or gray) crop, batch 1."""


class UniTextEngine:
    name = "unitext"

    def __init__(self, model: Path | None, threads: int):
        try:
            from engine.recognizer import Recognizer
            self.recognizer = Recognizer.load(model, device="cpu", threads=threads)
        except Exception as exc:  # a missing bundled model, an unreadable file
            raise EngineUnavailable(f"no usable UniText model ({type(exc).__name__}: {exc})") from exc
        import torch
        self.version = f"{Path(self.recognizer.model_path).name}, {self.recognizer.weights}, torch {torch.__version__}"

    def set_domain(self, domain: str) -> None:
        pass

    def read(self, crop: np.ndarray) -> str:
        return self.recognizer.recognize([crop], batch_size=1)[0].text

    def read_batch(self, crops: Sequence[np.ndarray], batch_size: int = 32) -> list[str]:
        return [p.text for p in self.recognizer.recognize(crops, batch_size=batch_size)]


class RapidOCREngine:
    """RapidOCR's recognizer alone: the whole crop is one text region."""

    name = "rapidocr"

    def __init__(self, model: Path | None, threads: int):
        try:
            import onnxruntime
            import rapidocr
        except ImportError as exc:
            raise EngineUnavailable(f"not installed ({exc}); pip install rapidocr onnxruntime") from exc
        self.engine = rapidocr.RapidOCR(params={
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
        self.version = f"rapidocr {_dist_version('rapidocr')}, onnxruntime {onnxruntime.__version__}"

    def set_domain(self, domain: str) -> None:
        pass

    def read(self, crop: np.ndarray) -> str:
        if crop.ndim == 3 and crop.shape[2] == 3:
            crop = np.ascontiguousarray(crop[:, :, ::-1])  # RapidOCR takes arrays as BGR
        out = self.engine(crop, use_det=False, use_cls=False, use_rec=True)
        texts = getattr(out, "txts", None) or ()
        return " ".join(t for t in texts if t)


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


class TesseractEngine:
    """Tesseract 5 (LSTM) in-process through the C API, one crop per SetImage."""

    name = "tesseract"
    PSM = {SCENE: 8, HANDWRITING: 7}  # single word / single text line
    OEM_LSTM_ONLY = 1

    def __init__(self, model: Path | None, threads: int, language: str = "eng"):
        # Tesseract's OpenMP reads this when the library is loaded.
        os.environ.setdefault("OMP_THREAD_LIMIT", str(threads))
        names = ["libtesseract.so.5", ctypes.util.find_library("tesseract")]
        lib = None
        for name in filter(None, names):
            try:
                lib = ctypes.CDLL(name)
                break
            except OSError:
                continue
        if lib is None:
            raise EngineUnavailable("libtesseract.so.5 not found; "
                                    "apt-get install tesseract-ocr-eng libtesseract5")
        p, c, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
        for fn, res, args in (
            ("TessVersion", c, []),
            ("TessBaseAPICreate", p, []),
            ("TessBaseAPIInit2", i, [p, c, c, i]),
            ("TessBaseAPISetVariable", i, [p, c, c]),
            ("TessBaseAPISetPageSegMode", None, [p, i]),
            ("TessBaseAPISetImage", None, [p, p, i, i, i, i]),
            ("TessBaseAPIGetUTF8Text", p, [p]),
            ("TessDeleteText", None, [p]),
            ("TessBaseAPIClear", None, [p]),
            ("TessBaseAPIEnd", None, [p]),
            ("TessBaseAPIDelete", None, [p]),
        ):
            f = getattr(lib, fn)
            f.restype, f.argtypes = res, args
        self.lib = lib
        self.api = lib.TessBaseAPICreate()
        if lib.TessBaseAPIInit2(self.api, None, language.encode(), self.OEM_LSTM_ONLY) != 0:
            lib.TessBaseAPIDelete(self.api)
            self.api = None
            raise EngineUnavailable(f"Tesseract could not load language {language!r} "
                                    "(apt-get install tesseract-ocr-eng)")
        # Silence "Estimating resolution as ..." without changing what it reads.
        lib.TessBaseAPISetVariable(self.api, b"debug_file", os.devnull.encode())
        self.psm = self.PSM[SCENE]
        lib.TessBaseAPISetPageSegMode(self.api, self.psm)
        self.version = f"tesseract {lib.TessVersion().decode()} ({language}, LSTM)"

    def set_domain(self, domain: str) -> None:
        self.psm = self.PSM.get(domain, self.PSM[HANDWRITING])
        self.lib.TessBaseAPISetPageSegMode(self.api, self.psm)

    def read(self, crop: np.ndarray) -> str:
        img = np.ascontiguousarray(crop, dtype=np.uint8)
        h, w = img.shape[:2]
        bpp = 1 if img.ndim == 2 else img.shape[2]
        self.lib.TessBaseAPISetImage(self.api, img.ctypes.data, w, h, bpp, img.strides[0])
        ptr = self.lib.TessBaseAPIGetUTF8Text(self.api)
        try:
            text = ctypes.string_at(ptr).decode("utf-8", "replace") if ptr else ""
        finally:
            if ptr:
                self.lib.TessDeleteText(ptr)
            self.lib.TessBaseAPIClear(self.api)
        return text.strip()

    def close(self) -> None:
        if getattr(self, "api", None):
            self.lib.TessBaseAPIEnd(self.api)
            self.lib.TessBaseAPIDelete(self.api)
            self.api = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


FACTORIES: dict[str, Callable[[Path | None, int], Engine]] = {
    "unitext": UniTextEngine,
    "rapidocr": RapidOCREngine,
    "tesseract": TesseractEngine,
}


@dataclass
class LoadedEngine:
    engine: Engine
    load_s: float  # construction plus one first read (RapidOCR loads its model lazily)


def load_engines(names: Sequence[str], model: Path | None, threads: int,
                 log: Callable[[str], None] = print) -> tuple[list[LoadedEngine], dict[str, str]]:
    """Engines that could start, and ``{name: reason}`` for those skipped."""
    loaded: list[LoadedEngine] = []
    skipped: dict[str, str] = {}
    blank = np.full((32, 100, 3), 255, np.uint8)
    for name in names:
        factory = FACTORIES.get(name)
        if factory is None:
            skipped[name] = f"unknown engine (known: {', '.join(FACTORIES)})"
        else:
            start = time.perf_counter()
            try:
                engine = factory(model, threads)
                engine.read(blank)
            except EngineUnavailable as exc:
                skipped[name] = str(exc)
            except (ImportError, OSError) as exc:
                skipped[name] = f"{type(exc).__name__}: {exc}"
            else:
                loaded.append(LoadedEngine(engine, time.perf_counter() - start))
                log(f"loaded {name}: {engine.version} in {loaded[-1].load_s:.2f} s")
                continue
        log(f"skipped {name}: {skipped[name]}")
    return loaded, skipped


# --------------------------------------------------------------------------- measuring


@dataclass
class Row:
    set_name: str
    domain: str
    engine: str
    card: ScoreCard = field(default_factory=ScoreCard)
    times: list[float] = field(default_factory=list)  # seconds per crop, batch 1
    batch_ms: float | None = None  # mean ms per crop at batch 32 (engines with read_batch)
    failures: int = 0  # crops whose read raised (scored as empty text)

    @property
    def median_ms(self) -> float:
        return 1000 * statistics.median(self.times) if self.times else float("nan")

    @property
    def p90_ms(self) -> float:
        return 1000 * percentile(self.times, 90) if self.times else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def bench_set(folder: Path, engines: Sequence[LoadedEngine], limit: int | None,
              batch_size: int = 32) -> list[Row]:
    """Every engine reads every crop of ``folder``; engines alternate in blocks."""
    items = list(iter_eval_set(folder, limit))
    domain = guess_domain(folder)
    rows = {le.engine.name: Row(folder.name, domain, le.engine.name) for le in engines}
    hyps: dict[str, list[str]] = {le.engine.name: [""] * len(items) for le in engines}
    for le in engines:
        le.engine.set_domain(domain)
        for item in items[:WARMUP]:
            _safe_read(le.engine, item.image)
    for b, start in enumerate(range(0, len(items), BLOCK)):
        shift = b % max(1, len(engines))
        for le in [*engines[shift:], *engines[:shift]]:
            row = rows[le.engine.name]
            for k in range(start, min(start + BLOCK, len(items))):
                t = time.perf_counter()
                text = _safe_read(le.engine, items[k].image)
                row.times.append(time.perf_counter() - t)
                if text is None:
                    row.failures += 1
                    text = ""
                hyps[le.engine.name][k] = text
    for le in engines:
        row = rows[le.engine.name]
        for item, hyp in zip(items, hyps[le.engine.name]):
            row.card.add(item.text, hyp)
        read_batch = getattr(le.engine, "read_batch", None)
        if read_batch is not None and items:
            t = time.perf_counter()
            read_batch([it.image for it in items], batch_size)
            row.batch_ms = 1000 * (time.perf_counter() - t) / len(items)
    return list(rows.values())


def _safe_read(engine: Engine, crop: np.ndarray) -> str | None:
    try:
        return engine.read(crop)
    except Exception:  # one unreadable crop must not end the run; counted as a failure
        return None


@dataclass
class BenchResult:
    rows: list[Row]
    engines: list[LoadedEngine]
    skipped: dict[str, str]
    missing_sets: list[str]
    threads: int

    def pooled(self, engine: str, domain: str) -> Row | None:
        """All crops of ``domain`` pooled (ScoreCard counts summed, latencies concatenated)."""
        parts = [r for r in self.rows if r.engine == engine and r.domain == domain]
        if not parts:
            return None
        out = Row(f"[pooled {domain}]", domain, engine)
        for r in parts:
            out.card = out.card.merge(r.card)
            out.times.extend(r.times)
            out.failures += r.failures
        batch = [(r.batch_ms, r.card.n) for r in parts if r.batch_ms is not None]
        if batch:
            out.batch_ms = sum(ms * n for ms, n in batch) / max(1, sum(n for _, n in batch))
        return out

    def summary_rows(self) -> list[Row]:
        """Scene pooled over its sets, then each handwriting set on its own (and pooled)."""
        names = [le.engine.name for le in self.engines]
        out = [p for e in names if (p := self.pooled(e, SCENE)) is not None]
        hw_sets = list(dict.fromkeys(r.set_name for r in self.rows if r.domain == HANDWRITING))
        for s in hw_sets:
            out.extend(r for r in self.rows if r.set_name == s)
        if len(hw_sets) > 1:
            out.extend(p for e in names if (p := self.pooled(e, HANDWRITING)) is not None)
        return out

    def ratios(self, other: str = "rapidocr", engine: str = "unitext") -> list[tuple[str, float, float, float]]:
        """``(what, engine median ms, other median ms, engine/other)`` per word crop and per line."""
        out = []
        for domain, what in ((SCENE, "per word crop"), (HANDWRITING, "per handwritten line")):
            a, b = self.pooled(engine, domain), self.pooled(other, domain)
            if a is not None and b is not None and a.times and b.times:
                out.append((what, a.median_ms, b.median_ms, a.median_ms / b.median_ms))
        return out


def run_bench(sets: Sequence[Path], engine_names: Sequence[str], model: Path | None = None,
              limit: int | None = 200, threads: int | None = None,
              log: Callable[[str], None] = print) -> BenchResult:
    if threads is None:
        from engine.device import physical_core_count
        threads = physical_core_count()
    present, missing = [], []
    for s in sets:
        (present if (Path(s) / "labels.tsv").is_file() else missing).append(Path(s))
    for s in missing:
        log(f"skipped set {s}: no labels.tsv there")
    loaded, skipped = load_engines(engine_names, model, threads, log)
    rows: list[Row] = []
    if loaded:
        for folder in present:
            start = time.perf_counter()
            set_rows = bench_set(folder, loaded, limit)
            rows.extend(set_rows)
            n = set_rows[0].card.n if set_rows else 0
            log(f"{folder.name}: {n} crops x {len(loaded)} engines in {time.perf_counter() - start:.1f} s")
    return BenchResult(rows, loaded, skipped, [str(s) for s in missing], threads)


# --------------------------------------------------------------------------- report

HEADER = ("| set | engine | n | acc exact | acc ci | CER raw | CER ci | median ms | p90 ms | b32 ms/crop |\n"
          "|---|---|---|---|---|---|---|---|---|---|")


def _fmt_row(r: Row) -> str:
    c = r.card
    batch = f"{r.batch_ms:.1f}" if r.batch_ms is not None else "-"
    fail = f" ({r.failures} failed)" if r.failures else ""
    return (f"| {r.set_name} | {r.engine}{fail} | {c.n} | {c.accuracy:.3f} | {c.accuracy_ci:.3f} | "
            f"{c.cer:.3f} | {c.cer_ci:.3f} | {r.median_ms:.1f} | {r.p90_ms:.1f} | {batch} |")


def format_report(result: BenchResult, limit: int | None = None) -> str:
    import torch
    lines = ["# UniText vs peers, measured together", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs, "
             f"{result.threads} thread(s) per engine, Python {platform.python_version()}, "
             f"torch {torch.__version__}. First {limit if limit else 'all'} crops of each set "
             f"in file order; latency = wall time per crop at batch 1, model loaded and warmed "
             f"up (noisy on a shared machine: compare the ratios, not absolute figures).", ""]
    lines.append("Engines:")
    for le in result.engines:
        extra = " (psm 8 for scene words, 7 for lines)" if le.engine.name == "tesseract" else ""
        lines.append(f"- {le.engine.name}: {le.engine.version}{extra}; "
                     f"load {le.load_s:.2f} s (incl. first read)")
    for name, reason in result.skipped.items():
        lines.append(f"- {name}: skipped: {reason}")
    for s in result.missing_sets:
        lines.append(f"- set {s}: skipped (no labels.tsv)")
    lines += ["", "## Per set", "", HEADER, *(_fmt_row(r) for r in result.rows)]
    summary = result.summary_rows()
    if summary:
        lines += ["", "## Scene pooled over its sets; handwriting per set", "", HEADER,
                  *(_fmt_row(r) for r in summary)]
    names = [le.engine.name for le in result.engines]
    if "unitext" in names:
        peers = [n for n in names if n != "unitext"]
        ratio_lines = []
        for other in peers:
            for what, a, b, ratio in result.ratios(other):
                ratio_lines.append(f"| {what} | {other} | {a:.1f} | {b:.1f} | {ratio:.2f} |")
        if ratio_lines:
            lines += ["", "## Latency ratio UniText / peer (median ms at batch 1, pooled; "
                      "below 1 means UniText is faster)", "",
                      "| crop | peer | unitext ms | peer ms | unitext/peer |", "|---|---|---|---|---|",
                      *ratio_lines]
    return "\n".join(lines) + "\n"


def parse_engines(text: str) -> list[str]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    return list(dict.fromkeys(names))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.bench",
                                description="UniText, RapidOCR and Tesseract on the same crops, "
                                            "in one run: accuracy, CER and latency side by side.")
    p.add_argument("--model", type=Path, help="UniText model file (default: the bundled model)")
    p.add_argument("--sets", type=Path, nargs="+",
                   default=[SHARED_DATA / s for s in DEFAULT_SETS],
                   help="folders with labels.tsv (default: the shared scene and handwriting sets)")
    p.add_argument("--limit", type=int, default=200,
                   help="first N crops of each set, file order (default 200; 0 = all)")
    p.add_argument("--engines", default=",".join(ENGINE_NAMES),
                   help="comma-separated, of: " + ", ".join(ENGINE_NAMES))
    p.add_argument("--threads", type=int,
                   help="CPU threads for every engine (default: physical cores)")
    p.add_argument("--out", type=Path, help="also write the report as Markdown here")
    args = p.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    limit = args.limit if args.limit and args.limit > 0 else None
    result = run_bench(args.sets, parse_engines(args.engines), args.model, limit, args.threads,
                       log=lambda m: print(m, file=sys.stderr, flush=True))
    if not result.engines:
        print("no engine could run: nothing measured", file=sys.stderr)
        return 1
    report = format_report(result, limit)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
        print(f"written {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
