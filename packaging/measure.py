"""Measure the desktop bundle: size, time to first window, time to first recognition, cold
and warm; the figures in packaging/MEASUREMENTS.md come from here.

    .venv/bin/python packaging/measure.py --model MODEL [--runs 3] [--source] [--json out.json]

* size: ``du -sb dist/unitext`` and its largest parts;
* first window: ``dist/unitext/unitext IMAGE`` on an X server (Xvfb), from the start of the
  process until a window titled "UniText…" is mapped and viewable (polled with ``xwininfo``
  every 20 ms), then the program is stopped;
* first recognition: ``dist/unitext/unitext read IMAGE --regions BOXES --model MODEL``, whole
  process wall time (start, load torch and the model, read 6 regions, print).

Cold = right after ``sync; echo 3 > /proc/sys/vm/drop_caches`` (needs root; otherwise the
first run after the build is reported as "cold" and says so). Warm = median of ``--runs``
runs right after. ``--source`` measures ``python -m unitext_app`` the same way for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bundle_config as cfg  # noqa: E402
from smoke_test import SCENE, SCENE_BOXES, SOURCE_PY, clean_env, start_xvfb, stop  # noqa: E402


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def du(path: Path) -> int:
    return int(subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


def size_report(bundle: Path) -> dict:
    internal = bundle / "_internal"
    parts = {}
    for name in ("torch", "PySide6", "cv2", "opencv_python_headless.libs", "numpy", "numpy.libs",
                 "resources", "base_library.zip", "libpython3.11.so.1.0"):
        if (internal / name).exists():
            parts[name] = du(internal / name)
    return {"total": du(bundle), "files": sum(1 for _ in bundle.rglob("*")), "parts": parts}


def first_recognition(cmd: list[str], env: dict, cwd: Path) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{cmd}: rc {out.returncode}: {out.stderr[-2000:]}")
    return seconds


def _viewable_unitext_window(display: str) -> bool:
    env = dict(os.environ, DISPLAY=display)
    tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True, env=env).stdout
    for wid in re.findall(r"^\s+(0x[0-9a-f]+) \"[^\"]*UniText[^\"]*\"", tree, re.M):
        info = subprocess.run(["xwininfo", "-id", wid], capture_output=True, text=True, env=env).stdout
        if "Map State: IsViewable" in info:
            return True
    return False


def first_window(cmd: list[str], env: dict, cwd: Path, display: str, timeout: float = 300) -> float:
    env = dict(env, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            if _viewable_unitext_window(display):
                return time.perf_counter() - t0
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd} exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"no window after {timeout}s")
            time.sleep(0.02)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cold_and_warm(measure, runs: int) -> dict:  # noqa: ANN001
    dropped = drop_caches()
    cold = measure()
    warm = [measure() for _ in range(runs)]
    return {"cold_s": round(cold, 2), "cold_after_drop_caches": dropped,
            "warm_median_s": round(statistics.median(warm), 2), "warm_s": [round(w, 2) for w in warm]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bundle", type=Path, default=ROOT / "dist" / cfg.NAME)
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--source", action="store_true", help="also measure the source tree")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    exe = args.bundle / cfg.NAME
    tmp = Path(tempfile.mkdtemp(prefix="unitext-measure-"))
    env = clean_env(tmp / "home")
    src_env = dict(env, PYTHONPATH=str(ROOT))
    model = str(args.model.resolve())
    results: dict = {"machine": {"cpus": os.cpu_count(), "load_avg": os.getloadavg()},
                     "size": size_report(args.bundle)}
    print(f"size: {results['size']['total'] / 2**20:.0f} MiB", flush=True)

    read = [str(SCENE), "--regions", str(SCENE_BOXES), "--model", model, "--device", "cpu"]
    programs = {"frozen": ([str(exe)], env)}
    if args.source:
        programs["source"] = ([str(SOURCE_PY), "-m", "unitext_app"], src_env)
    for label, (prefix, e) in programs.items():
        r = cold_and_warm(lambda: first_recognition(prefix + ["read", *read], e, tmp), args.runs)
        results[f"first_recognition_{label}"] = r
        print(f"first recognition ({label}): {r}", flush=True)

    started = start_xvfb() if shutil.which("xwininfo") else None
    if started is not None:
        server, display = started
        try:
            for label, (prefix, e) in programs.items():
                r = cold_and_warm(lambda: first_window(prefix + [str(SCENE)], e, tmp, display), args.runs)
                results[f"first_window_{label}"] = r
                print(f"first window ({label}): {r}", flush=True)
        finally:
            stop(server)
    else:
        print("first window: skipped (needs Xvfb and xwininfo)")
    results["load_avg_after"] = os.getloadavg()
    shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
