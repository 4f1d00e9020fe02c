"""Packaging checks that need no build (fast, in CI): the spec and its policy, resources found
the same way everywhere, the desktop entry, the install script, the icons, the version.

The bundle itself is built and exercised by ``make package-test`` (packaging/smoke_test.py),
which is too slow for ``make test`` (see packaging/MEASUREMENTS.md).
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "unitext.spec"
DESKTOP = PACKAGING / "linux" / "unitext.desktop"
INSTALL_SH = PACKAGING / "linux" / "install-desktop.sh"


def _load(name: str):
    """A packaging/ script as a module, without leaving packaging/ on sys.path."""
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location(f"_unitext_packaging_{name}", PACKAGING / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


cfg = _load("bundle_config")
entry = _load("entry")


def pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pyproject_version() -> str:
    return pyproject()["project"]["version"]


# -- the spec ----------------------------------------------------------------------------------
def test_spec_parses_and_uses_the_policy():
    source = SPEC.read_text(encoding="utf-8")
    tree = ast.parse(source)  # a spec is Python
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= calls
    assert 'copy_metadata("unitext")' in source  # the frozen app knows its version
    assert "cfg.resource_datas(ROOT)" in source
    assert "excludes=list(cfg.EXCLUDED_MODULES)" in source
    assert "cfg.dropped(" in source and "cfg.orphan_libraries(" in source
    assert "exclude_binaries=True" in source  # one-folder bundle
    assert '"entry.py"' in source


def test_resource_datas_hold_samples_icons_and_desktop_entry():
    datas = {(Path(src).relative_to(ROOT).as_posix(), dest) for src, dest in cfg.resource_datas()}
    assert ("resources/samples/pub_the_pond.jpg", "resources/samples") in datas
    assert ("resources/samples/pub_the_pond.boxes.tsv", "resources/samples") in datas
    assert ("resources/samples/poilus_will_page.alto.xml", "resources/samples") in datas
    assert ("resources/samples/CREDITS.md", "resources/samples") in datas
    assert ("resources/icons/unitext.svg", "resources/icons") in datas
    assert ("resources/icons/hicolor/256x256/apps/unitext.png", "resources/icons/hicolor/256x256/apps") in datas
    assert ("unitext_app/gui/icons/unitext.svg", "unitext_app/gui/icons") in datas
    assert ("packaging/linux/unitext.desktop", "share/applications") in datas
    for _, dest in datas:
        assert not dest.startswith("/") and ".." not in dest


def test_the_default_model_is_bundled_when_present_and_optional(tmp_path):
    (tmp_path / "resources" / "samples").mkdir(parents=True)
    (tmp_path / "resources" / "samples" / "a.jpg").write_bytes(b"x")
    without = cfg.resource_datas(tmp_path)
    assert [d for _, d in without] == ["resources/samples"]  # no model: the build still works
    (tmp_path / "resources" / "models").mkdir()
    (tmp_path / "resources" / "models" / "unitext-student.pt").write_bytes(b"x")
    (tmp_path / "resources" / "models" / "MODEL_CARD.md").write_text("# card")
    with_model = cfg.resource_datas(tmp_path)
    for name in ("unitext-student.pt", "MODEL_CARD.md"):
        assert (str(tmp_path / "resources" / "models" / name), "resources/models") in with_model


def test_excludes_leave_out_the_unused_and_keep_what_the_app_imports():
    excluded = set(cfg.EXCLUDED_MODULES)
    for name in ("tkinter", "IPython", "pytest", "matplotlib", "PySide6.QtWebEngineCore", "PySide6.Qt3DCore",
                 "PySide6.QtMultimedia", "PySide6.QtQml", "PySide6.QtQuick", "torch.utils.tensorboard"):
        assert name in excluded
    # torch imports these itself at run time (checked against the modules read/eval/train load)
    for needed in ("torch", "torch.distributed", "torch._dynamo", "torch.onnx", "torch.testing", "sympy",
                   "numpy", "cv2", "PIL", "lxml", "reportlab", "platformdirs", "lmdb", "fontTools",
                   "PySide6", "PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg",
                   "PySide6.QtDBus", "multiprocessing", "unittest", "training", "engine", "unitext_app"):
        assert needed not in excluded


def _imports(folder: Path) -> tuple[set[str], set[str]]:
    """(modules imported unconditionally, modules imported under ``try: ... except ImportError``)
    by the Python files under ``folder``."""
    required: set[str] = set()
    optional: set[str] = set()

    def names(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Import):
            return {a.name for a in node.names}
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            return {node.module}
        return set()

    def catches_import_error(handler: ast.ExceptHandler) -> bool:
        text = ast.unparse(handler.type) if handler.type is not None else "BaseException"
        return any(n in text for n in ("ImportError", "ModuleNotFoundError", "Exception"))

    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(catches_import_error(h) for h in node.handlers):
                for stmt in node.body:
                    guarded.update(id(n) for n in ast.walk(stmt))
        for node in ast.walk(tree):
            (optional if id(node) in guarded else required).update(names(node))
    return required, optional


def test_no_module_our_code_imports_is_excluded_unless_the_bundle_explains_it():
    required: set[str] = set()
    for package in ("engine", "unitext_app", "training"):
        required |= _imports(ROOT / package)[0]
    excluded = set(cfg.EXCLUDED_MODULES)
    hits = {m for m in required if m in excluded or m.split(".")[0] in excluded}
    # optional imports (try/except ImportError, e.g. the benchmark's peers) may be left out freely
    assert {h.split(".")[0] for h in hits} <= set(entry.LEFT_OUT_HINTS), hits
    assert set(entry.LEFT_OUT_HINTS) <= excluded


def test_qt_plugins_kept_are_the_needed_ones():
    keep = lambda rel: cfg.keep_qt_plugin(cfg.QT_PLUGIN_PREFIX + rel)  # noqa: E731
    for rel in ("platforms/libqxcb.so", "platforms/libqwayland.so", "platforms/libqwayland-generic.so",
                "platforms/libqoffscreen.so",
                "platforms/libqminimal.so", "imageformats/libqtiff.so", "imageformats/libqwebp.so",
                "imageformats/libqjpeg.so", "imageformats/libqgif.so", "imageformats/libqico.so",
                "imageformats/libqsvg.so", "iconengines/libqsvgicon.so",
                "platforminputcontexts/libcomposeplatforminputcontextplugin.so"):
        assert keep(rel), rel
    for rel in ("sqldrivers/libqsqlite.so", "qmltooling/libqmldbg_tcp.so", "imageformats/libqpdf.so",
                "platforms/libqeglfs.so", "platforms/libqvnc.so", "platformthemes/libqgtk3.so",
                "platforms/libqwayland-egl.so", "platforms/libqwayland-brcm.so",
                "designer/libqwebengineview.so", "tls/libqopensslbackend.so",
                "platforminputcontexts/libqtvirtualkeyboardplugin.so", "egldeviceintegrations/x.so"):
        assert not keep(rel), rel


def test_every_kept_linux_plugin_exists_in_the_installed_pyside6():
    PySide6 = pytest.importorskip("PySide6")
    plugins = Path(PySide6.__file__).parent / "Qt" / "plugins"
    if not plugins.is_dir() or not sys.platform.startswith("linux"):
        pytest.skip("not a Linux PySide6 wheel")
    present = {p.relative_to(plugins).as_posix() for p in plugins.rglob("*.so")}
    import fnmatch
    alternatives = {p for group in cfg.QT_PLUGIN_ALTERNATIVES for p in group}
    for pattern in cfg.QT_PLUGINS_KEPT:
        if pattern.startswith("styles/") or pattern in alternatives:
            continue  # Qt 6 builds its styles in; a future wheel may ship some
        assert any(fnmatch.fnmatch(p, pattern) for p in present), f"{pattern} matches no plugin"
    for group in cfg.QT_PLUGIN_ALTERNATIVES:
        assert any(p in present for p in group), f"none of {group} in this PySide6"


def test_dropped_files():
    for path in ("torch/test/test_api", "torch/bin/protoc", "torch/include/ATen/ATen.h",
                 "torch/lib/libtorchbind_test.so", "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
                 "torch/share/cmake/Torch/TorchConfig.cmake", "foo/__pycache__/x.pyc"):
        assert cfg.dropped(path), path
    for path in ("torch/lib/libtorch_cpu.so", "torch/bin/torch_shm_manager", "resources/samples/x.jpg",
                 "PySide6/Qt/plugins/platforms/libqxcb.so", "unitext_app/gui/icons/open.svg",
                 "PySide6/Qt/translations/qtbase_de.qm", "cv2/__init__.py"):
        assert not cfg.dropped(path), path
    for required in cfg.REQUIRED_IN_BUNDLE:
        assert not cfg.dropped(required), required


def test_orphan_libraries_are_those_only_dropped_plugins_needed():
    binaries = [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/s/libqxcb.so", "BINARY"),
        ("libxcb-cursor.so.0", "/s/libxcb-cursor.so.0", "BINARY"),
        ("libatk-1.0.so.0", "/s/libatk-1.0.so.0", "BINARY"),  # only the dropped GTK theme used it
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/s/libQt6Gui.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6OpenGL.so.6", "/s/libQt6OpenGL.so.6", "BINARY"),
        ("libQt6OpenGL.so.6", "PySide6/Qt/lib/libQt6OpenGL.so.6", "SYMLINK"),
        ("libpython3.11.so.1.0", "/s/libpython3.11.so.1.0", "BINARY"),
        ("_brotli.cpython-311-x86_64-linux-gnu.so", "/s/_brotli.so", "EXTENSION"),
    ]
    imports = {"/s/libqxcb.so": ["libxcb-cursor.so.0", "libQt6Gui.so.6"], "/s/libQt6Gui.so.6": []}
    orphans = cfg.orphan_libraries(binaries, lambda src: imports.get(src, []))
    assert orphans == {"libatk-1.0.so.0", "PySide6/Qt/lib/libQt6OpenGL.so.6", "libQt6OpenGL.so.6"}


# -- resources, found the same way in a checkout, a wheel and the bundle -----------------------
def test_resources_dir_finds_the_samples_in_the_source_tree(tmp_path, monkeypatch):
    from engine.resources import default_model_path, resources_dir
    from unitext_app.samples import SCENE_SAMPLE, samples_dir
    monkeypatch.chdir(tmp_path)  # never relative to the current folder
    monkeypatch.delenv("UNITEXT_MODEL", raising=False)
    assert resources_dir().resolve() == (ROOT / "resources").resolve()
    assert (samples_dir() / SCENE_SAMPLE).is_file()
    assert default_model_path() == resources_dir() / "models" / "unitext-student.pt"


def test_resources_dir_in_a_frozen_bundle_is_the_bundle_folder(tmp_path, monkeypatch):
    from engine.resources import default_model_path, resources_dir
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    monkeypatch.delenv("UNITEXT_MODEL", raising=False)
    assert resources_dir() == tmp_path / "_internal" / "resources"
    assert default_model_path() == tmp_path / "_internal" / "resources" / "models" / "unitext-student.pt"


def test_every_resource_file_is_wheel_package_data():
    """The wheel carries resources/ through pyproject's package-data globs."""
    import fnmatch
    config = pyproject()["tool"]["setuptools"]
    patterns = config["package-data"]["*"]
    for path in (ROOT / "resources").rglob("*"):
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
            assert any(fnmatch.fnmatch(path.name, p) for p in patterns), f"{path} would miss the wheel"


# -- the desktop entry and its installer -------------------------------------------------------
def _desktop_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    assert parser.sections()[0] == "Desktop Entry"
    return dict(parser["Desktop Entry"])


def test_desktop_entry_is_valid():
    entry_ = _desktop_entry(DESKTOP)
    assert entry_["Type"] == "Application" and entry_["Name"] == "UniText"
    assert entry_["Exec"] == "unitext %F" and entry_["Icon"] == "unitext"
    mimes = entry_["MimeType"].rstrip(";").split(";")
    for mime in ("image/png", "image/jpeg", "image/tiff", "image/bmp", "image/webp"):
        assert mime in mimes
    categories = entry_["Categories"].rstrip(";").split(";")
    assert {"Graphics", "Office", "OCR", "Scanning"} <= set(categories)
    assert entry_["Terminal"] == "false"
    validator = shutil.which("desktop-file-validate")
    if validator:
        out = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "error" not in out.stdout.lower()


def _fake_bundle(folder: Path) -> Path:
    """The layout of dist/unitext/ as far as install-desktop.sh cares."""
    internal = folder / "_internal"
    (internal / "share" / "applications").mkdir(parents=True)
    shutil.copy(DESKTOP, internal / "share" / "applications" / "unitext.desktop")
    shutil.copytree(ROOT / "resources" / "icons", internal / "resources" / "icons")
    program = folder / "unitext"
    program.write_text("#!/bin/sh\necho fake\n")
    program.chmod(0o755)
    shutil.copy(INSTALL_SH, folder / "install-desktop.sh")
    return folder


@pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("sh"), reason="Linux only")
def test_install_desktop_script_installs_and_uninstalls_for_the_user(tmp_path):
    bundle = _fake_bundle(tmp_path / "opt" / "UniText bundle")
    home = tmp_path / "home"
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "XDG_DATA_HOME": str(home / ".local" / "share")}
    out = subprocess.run(["sh", str(bundle / "install-desktop.sh")], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = home / ".local" / "share"
    installed = data / "applications" / "unitext.desktop"
    values = _desktop_entry(installed)
    assert values["Exec"] == f'"{bundle}/unitext" %F' and values["TryExec"] == f"{bundle}/unitext"
    for side in (16, 32, 48, 256):
        assert (data / "icons" / "hicolor" / f"{side}x{side}" / "apps" / "unitext.png").is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "unitext.svg").is_file()
    assert (home / ".local" / "bin" / "unitext").resolve() == (bundle / "unitext").resolve()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(installed)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout

    out = subprocess.run(["sh", str(bundle / "install-desktop.sh"), "--uninstall"], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert not installed.exists() and not (home / ".local" / "bin" / "unitext").exists()
    assert not (data / "icons" / "hicolor" / "48x48" / "apps" / "unitext.png").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("sh"), reason="Linux only")
def test_install_desktop_script_for_a_pip_install(tmp_path):
    home = tmp_path / "home"
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(["sh", str(INSTALL_SH), "--exec", "unitext"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    values = _desktop_entry(home / ".local" / "share" / "applications" / "unitext.desktop")
    assert values["Exec"] == "unitext %F"
    assert not (home / ".local" / "bin" / "unitext").exists()


# -- icons ---------------------------------------------------------------------------------------
def test_app_icon_svg_and_pngs():
    svg = ROOT / "resources" / "icons" / "unitext.svg"
    root = ElementTree.parse(svg).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 256 256"
    render = _load("render_icons")
    for side in render.SIZES:
        png = ROOT / "resources" / "icons" / "hicolor" / f"{side}x{side}" / "apps" / "unitext.png"
        header = png.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n", png
        assert struct.unpack(">II", header[16:24]) == (side, side), png


# -- version ----------------------------------------------------------------------------------
def test_unitext_version_equals_pyproject(capsys):
    from unitext_app.cli import main
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"UniText {pyproject_version()}"
    assert cfg.pyproject_version() == pyproject_version()


def test_unitext_version_command_line(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "unitext_app", "--version"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"UniText {pyproject_version()}"


def test_bundle_entry_explains_modules_left_out(monkeypatch, capsys):
    def plot(argv=None):
        raise ModuleNotFoundError("No module named 'matplotlib'", name="matplotlib")
    import unitext_app.cli
    monkeypatch.setattr(unitext_app.cli, "main", plot)
    assert entry.main() == 1
    assert "pip install" in capsys.readouterr().err


def test_smoke_test_runs_in_a_clean_environment(tmp_path, monkeypatch):
    smoke = _load("smoke_test")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    monkeypatch.setenv("DISPLAY", ":0")
    env = smoke.clean_env(tmp_path, FOO="1")
    assert "PYTHONPATH" not in env and "DISPLAY" not in env and env["FOO"] == "1"
    assert env["XDG_CONFIG_HOME"].startswith(str(tmp_path))
