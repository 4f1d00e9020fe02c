"""Prove the desktop bundle works: run the frozen program the way a user would and compare it
with the source tree. ``make package-test`` runs this after ``make package``.

    .venv/bin/python packaging/smoke_test.py [--bundle dist/unitext] [--model MODEL] [--no-gui]

Checks (each one prints ok/FAIL and its time):

* layout: required resources and Qt plugins are in, dropped ones are out;
* ``unitext --version`` is pyproject's version; ``--help`` works;
* ``unitext read`` on the scene sample (text and JSON) equals ``python -m unitext_app read``
  with the same ``--model``, run from another folder and, where ``unshare -n`` is allowed,
  without network (nothing is fetched at run time);
* ``unitext --first-run`` with no display reads the bundled sample (resources found inside
  the bundle, not in the current folder);
* ``unitext eval`` equals the source tree's table; ``unitext train teacher`` runs 2 steps and
  its model reads; ``unitext train plot`` says plainly that matplotlib is left out;
* the GUI (``QT_QPA_PLATFORM=offscreen``, and ``xcb`` under Xvfb when available) opens an image
  and reads the sample's regions through its worker thread, with the same texts as the CLI.

Without a default model in resources/models/, a tiny model is trained once (about 30 s
alone, longer on a busy machine) and cached in build/smoke/; pass --model to use another.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bundle_config as cfg  # noqa: E402

SAMPLES = ROOT / "resources" / "samples"
SCENE = SAMPLES / "pub_the_pond.jpg"
SCENE_BOXES = SAMPLES / "pub_the_pond.boxes.tsv"
SOURCE_PY = ROOT / ".venv" / "bin" / "python"


# -- running things ----------------------------------------------------------------------------
def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user who has never run UniText: no virtualenv, no PYTHONPATH,
    per-user folders in a scratch home, no display unless asked."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DISPLAY", "WAYLAND_DISPLAY",
                        "QT_QPA_PLATFORM", "QT_PLUGIN_PATH", "UNITEXT_MODEL", "LD_LIBRARY_PATH")}
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache")):
        env[var] = str(home / sub)
    env.update(extra)
    return env


def no_network_prefix() -> list[str]:
    """``unshare -n`` (a network namespace with nothing in it) where this user may use it."""
    if shutil.which("unshare"):
        try:
            if subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0:
                return ["unshare", "-n"]
        except (OSError, subprocess.TimeoutExpired):
            pass
    return []


def run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def start_xvfb() -> tuple[subprocess.Popen, str] | None:
    """A private X server (Xvfb), returned once it accepts clients, with its display name;
    None without Xvfb. ``-displayfd`` lets the server pick a free display and say when ready."""
    xvfb = shutil.which("Xvfb")
    if not xvfb:
        return None
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24",
                               "-nolisten", "tcp"], pass_fds=(write_fd,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as ready:
        number = ready.readline().strip()  # written when the server is ready
    if not number:
        server.kill()
        server.wait()
        raise RuntimeError("Xvfb did not start")
    return server, f":{number}"


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def json_texts(output: str) -> list[tuple[str, float]]:
    """(text, confidence) of every region of a JSON export, in order."""
    data = json.loads(output)
    return [(r.get("machine_text") or r.get("text") or "", round(float(r.get("confidence") or 0), 4))
            for page in data["pages"] for r in page["regions"]]


# -- the model -------------------------------------------------------------------------------
def bundled_model() -> Path | None:
    models = sorted((ROOT / "resources" / "models").glob("*.pt"))
    return models[0] if models else None


def smoke_model(cache: Path) -> Path:
    model = cache / "tiny" / "model.pt"
    if model.is_file():
        return model
    print(f"training a tiny model for the smoke test in {model.parent} ...", flush=True)
    sys.path.insert(0, str(ROOT))
    from tests.support.tiny_model import train_tiny_model
    return Path(train_tiny_model(model.parent))


def words_dataset(folder: Path) -> Path:
    """A labels.tsv folder of rendered words (for eval and a 2-step training run)."""
    sys.path.insert(0, str(ROOT))
    from PIL import Image

    from tests.support.tiny_model import WORDS, render_word
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, word in enumerate(WORDS * 2):
        Image.fromarray(render_word(word, size=26 + i % 6)).save(folder / f"{i:03d}.png")
        rows.append(f"{i:03d}.png\t{word}")
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


# -- the checks --------------------------------------------------------------------------------
class Smoke:
    def __init__(self, bundle: Path, model: Path, model_is_default: bool, gui: bool) -> None:
        self.bundle = bundle
        self.exe = bundle / cfg.NAME
        self.model = model
        self.model_is_default = model_is_default
        self.with_gui = gui
        self.tmp = Path(tempfile.mkdtemp(prefix="unitext-smoke-"))
        self.home = self.tmp / "home"
        self.work = self.tmp / "work"  # the current folder of every run: not the repository
        self.work.mkdir(parents=True)
        self.offline = no_network_prefix()
        self.results: list[tuple[str, bool, float, str]] = []
        self.cli_texts: list[tuple[str, float]] | None = None

    def frozen(self, *args: str, env_extra: dict[str, str] | None = None, timeout: float = 600):
        env = clean_env(self.home, **(env_extra or {}))
        return run(self.offline + [str(self.exe), *args], env, self.work, timeout)

    def source(self, *args: str, env_extra: dict[str, str] | None = None, timeout: float = 600):
        env = clean_env(self.home, **(env_extra or {}))
        env["PYTHONPATH"] = str(ROOT)
        return run([str(SOURCE_PY), "-m", "unitext_app", *args], env, self.work, timeout)

    def model_args(self) -> list[str]:
        return [] if self.model_is_default else ["--model", str(self.model)]

    def check(self, name: str, fn) -> bool:  # noqa: ANN001
        t0 = time.perf_counter()
        try:
            detail = fn() or ""
            ok = True
        except AssertionError as exc:
            ok, detail = False, str(exc)
        except Exception as exc:  # noqa: BLE001
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - t0
        self.results.append((name, ok, seconds, detail))
        print(f"{'ok  ' if ok else 'FAIL'} {name} ({seconds:.1f}s){': ' + detail if detail else ''}", flush=True)
        return ok

    # the individual checks
    def layout(self) -> str:
        internal = self.bundle / "_internal"
        missing = [p for p in cfg.REQUIRED_IN_BUNDLE if not (internal / p).is_file()]
        assert not missing, f"missing from the bundle: {missing}"
        assert (self.bundle / "install-desktop.sh").is_file(), "install-desktop.sh missing"
        plugins = internal / cfg.QT_PLUGIN_PREFIX
        extra = [str(p.relative_to(plugins)) for p in plugins.rglob("*") if p.is_file()
                 and not cfg.keep_qt_plugin(cfg.QT_PLUGIN_PREFIX + str(p.relative_to(plugins)))]
        assert not extra, f"Qt plugins that should have been dropped: {extra}"
        for gone in ("torch/test", "torch/include", "torch/bin/protoc", "matplotlib", "tkinter", "pytest"):
            assert not (internal / gone).exists(), f"{gone} should not be in the bundle"
        size = sum(p.stat().st_size for p in self.bundle.rglob("*") if p.is_file() and not p.is_symlink())
        kept = sorted(str(p.relative_to(plugins)) for p in plugins.rglob("*.so"))
        return f"{size / 2**20:.0f} MiB; Qt plugins: {', '.join(kept)}"

    def version(self) -> str:
        out = self.frozen("--version")
        assert out.returncode == 0, out.stderr
        want = f"UniText {cfg.pyproject_version(ROOT)}"
        assert out.stdout.strip() == want, f"{out.stdout.strip()!r} != {want!r}"
        helped = self.frozen("--help")
        assert helped.returncode == 0 and "unitext read" in helped.stdout, helped.stderr
        return out.stdout.strip()

    def read_text(self) -> str:
        args = ["read", str(SCENE), "--regions", str(SCENE_BOXES), "--device", "cpu"]
        frozen = self.frozen(*args, *self.model_args())
        source = self.source(*args, "--model", str(self.model))
        assert frozen.returncode == 0, f"frozen read failed: {frozen.stderr[-2000:]}"
        assert source.returncode == 0, f"source read failed: {source.stderr[-2000:]}"
        assert frozen.stdout == source.stdout, f"outputs differ:\n{frozen.stdout!r}\n{source.stdout!r}"
        return f"{len(frozen.stdout.splitlines())} lines, identical" + (" (offline)" if self.offline else "")

    def read_json(self) -> str:
        args = ["read", str(SCENE), "--regions", str(SCENE_BOXES), "--format", "json", "--device", "cpu"]
        frozen = self.frozen(*args, *self.model_args())
        source = self.source(*args, "--model", str(self.model))
        assert frozen.returncode == 0 and source.returncode == 0, frozen.stderr[-2000:] + source.stderr[-2000:]
        a, b = json_texts(frozen.stdout), json_texts(source.stdout)
        assert [t for t, _ in a] == [t for t, _ in b], f"texts differ: {a} vs {b}"
        assert all(abs(x - y) <= 1e-4 for (_, x), (_, y) in zip(a, b)), f"confidences differ: {a} vs {b}"
        self.cli_texts = a
        return f"{len(a)} regions: {[t for t, _ in a]}"

    def first_run_no_display(self) -> str:
        extra = {"UNITEXT_MODEL": str(self.model)}
        frozen = self.frozen("--first-run", env_extra=extra)
        assert frozen.returncode == 0, f"rc {frozen.returncode}: {frozen.stderr[-2000:]}"
        assert "no display found" in frozen.stderr, frozen.stderr
        source = self.source("read", str(SCENE), "--regions", str(SCENE_BOXES), "--model", str(self.model))
        body = frozen.stdout.split("\n", 2)[-1]  # after "Reading the bundled sample ...:" and a blank line
        assert body == source.stdout, f"first-run output differs:\n{frozen.stdout!r}\n{source.stdout!r}"
        return "read the bundled sample in the terminal"

    def eval_words(self) -> str:
        data = words_dataset(self.tmp / "words")
        args = ["eval", str(data), "--device", "cpu", "--threads", "1"]
        frozen = self.frozen(*args, *self.model_args())
        source = self.source(*args, "--model", str(self.model))
        assert frozen.returncode == 0, frozen.stderr[-2000:]

        def table(out: str) -> list[str]:  # the scores, without speed columns and paths
            return [" ".join(line.split()[:7]) for line in out.splitlines() if line.startswith(("words", "[pooled]"))]
        assert table(frozen.stdout) == table(source.stdout), f"{frozen.stdout}\n---\n{source.stdout}"
        return table(frozen.stdout)[0]

    def train(self) -> str:
        data = self.tmp / "words"
        out = self.tmp / "train-run"
        run_ = self.frozen("train", "teacher", "--domain", "scene", "--no-synth", "--data", f"scene={data}",
                           "--steps", "2", "--preset", "tiny", "--batch-size", "4", "--val-size", "4",
                           "--val-every", "2", "--out", str(out), "--device", "cpu")
        assert run_.returncode == 0, run_.stderr[-3000:]
        model = out / "model.pt"
        assert model.is_file(), f"no {model}"
        read = self.frozen("read", str(data / "000.png"), "--model", str(model), "--device", "cpu")
        assert read.returncode == 0, read.stderr[-2000:]
        plot = self.frozen("train", "plot", str(out))
        assert plot.returncode == 1 and "matplotlib" in plot.stderr and "Traceback" not in plot.stderr, \
            f"train plot: rc {plot.returncode}: {plot.stderr[-1500:]}"
        return "2 steps trained, the model reads; plot explains matplotlib is left out"

    def gui(self, platform: str, display: str | None = None) -> str:
        extra = {"UNITEXT_SMOKE_GUI": "1", "QT_QPA_PLATFORM": platform}
        if display:
            extra["DISPLAY"] = display
        args = ["--recognise", *(["--model", str(self.model)] if not self.model_is_default else [])]
        out = self.frozen(*args, env_extra=extra, timeout=600)
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        assert lines, f"no report (rc {out.returncode}): {out.stdout[-1000:]} {out.stderr[-3000:]}"
        report = json.loads(lines[-1])
        assert out.returncode == 0 and report.get("ok"), f"{report.get('error')} / {out.stderr[-2000:]}"
        assert report["platform"] == platform, report["platform"]
        assert Path(report["resources_dir"]).is_relative_to(self.bundle), report["resources_dir"]
        assert cfg.pyproject_version(ROOT) in report["window_title"], report["window_title"]
        if self.cli_texts is not None:
            want = [t for t, _ in self.cli_texts]
            assert report["texts"] == want, f"GUI read {report['texts']}, CLI read {want}"
        return (f"window {report['first_window_s']}s, image loaded {report['document_loaded_s']}s, "
                f"{len(report['texts'])} regions read {report['recognised_s']}s (since start of script)")

    def gui_xcb(self) -> str:
        started = start_xvfb()
        if started is None:
            return "skipped: no Xvfb"
        server, display = started
        try:
            return self.gui("xcb", display)
        finally:
            stop(server)

    def run_all(self) -> bool:
        self.check("bundle layout", self.layout)
        self.check("unitext --version / --help", self.version)
        self.check("read: frozen text == source text", self.read_text)
        self.check("read: frozen JSON == source JSON", self.read_json)
        self.check("--first-run without a display", self.first_run_no_display)
        self.check("eval: frozen == source", self.eval_words)
        self.check("train teacher (2 steps) + plot message", self.train)
        if self.with_gui:
            self.check("GUI headless (offscreen): open + recognise", lambda: self.gui("offscreen"))
            self.check("GUI on X11 (xcb, Xvfb): open + recognise", self.gui_xcb)
        failed = [r for r in self.results if not r[1]]
        total = sum(r[2] for r in self.results)
        print(f"\n{len(self.results) - len(failed)}/{len(self.results)} checks passed in {total:.0f}s"
              + ("" if not failed else f"; failed: {', '.join(r[0] for r in failed)}"))
        return not failed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bundle", type=Path, default=ROOT / "dist" / cfg.NAME)
    p.add_argument("--model", type=Path, help="model for both runs (default: the bundled one, "
                   "else a tiny model trained once into build/smoke/)")
    p.add_argument("--no-gui", action="store_true", help="skip the GUI checks")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = p.parse_args(argv)
    if not (args.bundle / cfg.NAME).is_file():
        print(f"no bundle at {args.bundle}: run `make package` first", file=sys.stderr)
        return 2
    default = bundled_model()
    if args.model:
        model, is_default = args.model.resolve(), False
    elif default is not None:
        model, is_default = default, True
    else:
        model, is_default = smoke_model(ROOT / "build" / "smoke"), False
    print(f"bundle {args.bundle}, model {model}{' (bundled default)' if is_default else ''}", flush=True)
    smoke = Smoke(args.bundle.resolve(), model, is_default, gui=not args.no_gui)
    try:
        ok = smoke.run_all()
    finally:
        if args.keep:
            print(f"scratch folder kept: {smoke.tmp}")
        else:
            shutil.rmtree(smoke.tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
