"""What goes into the desktop bundle and what stays out: the policy behind unitext.spec,
kept in plain Python so tests can check it without PyInstaller or a build.

The bundle is a CPU inference build that still carries ``unitext train`` and ``unitext eval``
(the training code is small; its heavy dependency, torch, is there for inference anyway).
Left out: test suites and test binaries, C++ headers, build tools, Qt modules and plugins the
app never loads, matplotlib (``unitext train plot`` only: the bundle says so and points to
``pip install unitext[train]``, see entry.LEFT_OUT_HINTS), IPython/tkinter/pytest.

Every exclusion here was checked against the modules actually imported by ``unitext read``,
``unitext eval``, ``unitext train teacher`` and the GUI (torch itself imports much of
``torch.distributed``, ``torch._dynamo``, ``torch.onnx``, ``torch._inductor`` and sympy at
run time, so those stay).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "unitext"  # dist/unitext/unitext

# -- data files (source glob relative to the repository root, destination folder in the bundle)
# The default model is optional: a build without resources/models/*.pt still works (the app
# then asks for a model file), and picks the model up as soon as it is there.
RESOURCE_GLOBS: tuple[tuple[str, str], ...] = (
    ("resources/samples/*", "resources/samples"),
    ("resources/icons/unitext.svg", "resources/icons"),
    ("resources/icons/hicolor/*/apps/unitext.png", None),  # destination mirrors the source
    ("resources/models/*.pt", "resources/models"),
    ("resources/models/*.json", "resources/models"),
    ("resources/models/MODEL_CARD.md", "resources/models"),  # what the model is, its licences
    ("unitext_app/gui/icons/*.svg", "unitext_app/gui/icons"),
    ("packaging/linux/unitext.desktop", "share/applications"),
    ("packaging/linux/install-desktop.sh", "share"),
    ("training/assets/*", "training/assets"),
)

# Our own packages, collected whole (sub-commands import their modules lazily).
OWN_PACKAGES = ("unitext_app", "engine", "training", "resources")

# -- Python modules never imported by the bundled commands
EXCLUDED_MODULES: tuple[str, ...] = (
    # interactive shells, GUI toolkits we do not use, test runners
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "IPython", "ipykernel",
    "jupyter_client", "jupyter_core", "notebook", "jedi", "parso",
    "pytest", "_pytest", "pytestqt", "pluggy", "iniconfig", "pypdf", "tests",
    "lib2to3", "ensurepip", "venv", "pydoc_data",
    # packaging and build tools
    "pip", "setuptools", "pkg_resources", "_distutils_hack", "PyInstaller", "wheel",
    # training plots only (unitext train plot): see entry.LEFT_OUT_HINTS
    "matplotlib", "mpl_toolkits", "pylab",
    # torch parts no bundled command imports (checked; see the module docstring)
    "torch.utils.tensorboard", "torch.utils.benchmark", "torch.utils.hipify",
    "torch.utils.bottleneck", "torch.testing._internal.opinfo",
    "torch.testing._internal.common_methods_invocations", "torch.testing._internal.optests",
    "torch._inductor.codegen", "torch._inductor.kernel", "torch._inductor.fx_passes",
    "torch.distributed.elastic", "torch.distributed.pipelining", "torch.distributed.checkpoint",
    "torch.distributed.launcher", "torch.distributed.run", "torch.distributed.examples",
    "tensorboard", "triton", "onnx", "onnxruntime", "rapidocr", "caffe2",
    # Qt modules the app does not use (PySide6-Essentials ships them)
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtQuick3D",
    "PySide6.QtQuickControls2", "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebEngineQuick", "PySide6.Qt3DCore", "PySide6.Qt3DRender", "PySide6.QtMultimedia",
    "PySide6.QtMultimediaWidgets", "PySide6.QtNetwork", "PySide6.QtSql", "PySide6.QtTest",
    "PySide6.QtDesigner", "PySide6.QtUiTools", "PySide6.QtHelp", "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets", "PySide6.QtPdf", "PySide6.QtPdfWidgets", "PySide6.QtXml",
    "PySide6.QtConcurrent", "PySide6.QtPrintSupport", "PySide6.QtCharts",
    "PySide6.QtDataVisualization", "PySide6.QtSpatialAudio", "PySide6.QtSerialPort",
    "PySide6.QtBluetooth", "PySide6.QtPositioning", "PySide6.QtLocation", "PySide6.QtSensors",
    "PySide6.QtStateMachine", "PySide6.QtTextToSpeech", "PySide6.QtWebSockets",
    "PySide6.QtWebChannel", "PySide6.QtHttpServer", "PySide6.QtRemoteObjects",
    "PySide6.QtScxml", "PySide6.QtNfc", "PySide6.QtGraphs", "PySide6.QtCanvasPainter",
)

# -- Qt plugins: exactly these are kept (paths under PySide6/Qt/plugins/)
QT_PLUGINS_KEPT: tuple[str, ...] = (
    # windowing: X11, Wayland, headless (tests, servers) and the minimal fallback
    "platforms/libqxcb.so", "platforms/libqwayland.so", "platforms/libqwayland-generic.so",
    "platforms/libqoffscreen.so",
    "platforms/libqminimal.so",
    "xcbglintegrations/*.so",
    "wayland-shell-integration/libxdg-shell.so", "wayland-shell-integration/libwl-shell-plugin.so",
    "wayland-decoration-client/*.so",
    # image formats for icons, drag-and-drop and the clipboard (pages load through Pillow)
    "imageformats/libqjpeg.so", "imageformats/libqtiff.so", "imageformats/libqwebp.so",
    "imageformats/libqgif.so", "imageformats/libqico.so", "imageformats/libqsvg.so",
    "iconengines/libqsvgicon.so",
    # typing accents and non-Latin scripts when correcting text (dead keys, IBus)
    "platforminputcontexts/libcomposeplatforminputcontextplugin.so",
    "platforminputcontexts/libibusplatforminputcontextplugin.so",
    # native file dialogs through the desktop portal (Flatpak/Snap-style desktops, GNOME, KDE)
    "platformthemes/libqxdgdesktopportal.so",
    # styles: Qt 6 builds Fusion and Windows into QtWidgets; PySide6 ships no style plugins
    "styles/*",
)

#: Kept patterns that name the same plugin in different Qt versions: one of each group exists.
QT_PLUGIN_ALTERNATIVES: tuple[tuple[str, ...], ...] = (
    ("platforms/libqwayland.so", "platforms/libqwayland-generic.so"),  # Qt >= 6.12 / <= 6.11
)

#: Windows / macOS equivalents, for a build on those systems (same list, other names).
QT_PLUGINS_KEPT_OTHER_OS: tuple[str, ...] = (
    "platforms/qwindows.dll", "platforms/qoffscreen.dll", "platforms/qminimal.dll",
    "platforms/libqcocoa.dylib", "platforms/libqoffscreen.dylib", "platforms/libqminimal.dylib",
    "imageformats/q*.dll", "imageformats/libq*.dylib", "iconengines/*", "styles/*",
)

# -- files dropped after PyInstaller's analysis (destination paths in the bundle)
DROPPED_PATTERNS: tuple[str, ...] = (
    # torch: C++ test binaries, build tools, headers, CMake files, test-only libraries
    "torch/test/*", "torch/bin/*", "torch/include/*", "torch/share/*",  # see DROP_EXCEPTIONS
    "torch/lib/libjitbackend_test.so", "torch/lib/libtorchbind_test.so",
    "torch/lib/libbackend_with_compiler.so", "torch/lib/libaoti_custom_ops.so",
    "torch/_inductor/codegen/*", "torch/_inductor/kernel/*", "torch/_inductor/fx_passes/*",
    "torch/utils/benchmark/*", "torch/utils/tensorboard/*", "torch/utils/hipify/*",
    "torch/testing/_internal/opinfo/*", "torch/testing/_internal/optests/*",
    "torch/testing/_internal/common_methods_invocations.py",
    "torch/distributed/elastic/*", "torch/distributed/pipelining/*",
    "torch/distributed/checkpoint/*",
    "*.pyi", "*.h", "*.hpp", "*.cuh", "*.cmake", "*/__pycache__/*",
    # Qt translations: keep the Qt base ones (dialog buttons), drop the other modules'
    "PySide6/Qt/translations/qtwebengine*", "PySide6/Qt/translations/qtmultimedia*",
    "PySide6/Qt/translations/qtdeclarative*", "PySide6/Qt/translations/qtserialport*",
    "PySide6/Qt/translations/qtconnectivity*", "PySide6/Qt/translations/qtlocation*",
    "PySide6/Qt/translations/qtwebsockets*", "PySide6/Qt/translations/qtquick*",
    "PySide6/Qt/translations/designer*", "PySide6/Qt/translations/linguist*",
    "PySide6/Qt/translations/assistant*", "PySide6/Qt/translations/qt_help*",
    "PySide6/Qt/translations/qtscxml*", "PySide6/Qt/translations/qtwebchannel*",
    "PySide6/Qt/translations/qtgraphs*",
    # Qt libraries for modules excluded above (pulled in only by plugins we drop)
    "PySide6/Qt/lib/libQt6Quick*", "PySide6/Qt/lib/libQt6Qml*", "PySide6/Qt/lib/libQt6Pdf*",
    "PySide6/Qt/lib/libQt6WebEngine*", "PySide6/Qt/lib/libQt6VirtualKeyboard*",
    "PySide6/Qt/lib/libQt6Multimedia*", "PySide6/Qt/lib/libQt63D*", "PySide6/Qt/lib/libQt6Sql*",
    "PySide6/Qt/lib/libQt6Designer*", "PySide6/Qt/lib/libQt6Lottie*",
    "PySide6/Qt/lib/libQt6Graphs*",
)

#: Kept although a pattern above matches: ``import torch`` checks that the shared-memory
#: manager exists (DataLoader workers use it).
DROP_EXCEPTIONS: tuple[str, ...] = ("torch/bin/torch_shm_manager",)

#: Destinations that must be in every bundle (the smoke test and tests/test_packaging check).
REQUIRED_IN_BUNDLE: tuple[str, ...] = (
    "resources/samples/pub_the_pond.jpg",
    "resources/samples/pub_the_pond.boxes.tsv",
    "torch/bin/torch_shm_manager",
    "resources/samples/CREDITS.md",
    "resources/icons/unitext.svg",
    "resources/icons/hicolor/256x256/apps/unitext.png",
    "unitext_app/gui/icons/unitext.svg",
    "share/applications/unitext.desktop",
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/imageformats/libqtiff.so",
    "PySide6/Qt/plugins/imageformats/libqwebp.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
)

QT_PLUGIN_PREFIX = "PySide6/Qt/plugins/"


def _norm(dest: str) -> str:
    return dest.replace("\\", "/").lstrip("./")


def is_qt_plugin(dest: str) -> bool:
    return _norm(dest).startswith(QT_PLUGIN_PREFIX)


def keep_qt_plugin(dest: str) -> bool:
    rel = _norm(dest)[len(QT_PLUGIN_PREFIX):]
    return any(fnmatch.fnmatch(rel, pat) for pat in QT_PLUGINS_KEPT + QT_PLUGINS_KEPT_OTHER_OS)


def dropped(dest: str) -> bool:
    """True if a file with this bundle path is left out."""
    path = _norm(dest)
    if is_qt_plugin(path):
        return not keep_qt_plugin(path)
    if path in DROP_EXCEPTIONS:
        return False
    return any(fnmatch.fnmatch(path, pat) for pat in DROPPED_PATTERNS)


def resource_datas(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source file, bundle folder) pairs for PyInstaller's ``datas``; missing globs (no
    model yet) simply add nothing."""
    out: list[tuple[str, str]] = []
    for pattern, dest in RESOURCE_GLOBS:
        for src in sorted(root.glob(pattern)):
            if not src.is_file() or "__pycache__" in src.parts:
                continue
            folder = dest if dest is not None else src.parent.relative_to(root).as_posix()
            out.append((str(src), folder))
    return out


def pyproject_version(root: Path = ROOT) -> str:
    for line in (root / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    raise ValueError("no version in pyproject.toml")


# -- libraries left behind by dropped plugins ---------------------------------------------------
#: Top-level libraries always kept (the bootloader loads libpython itself).
ALWAYS_KEPT_LIBRARIES = ("libpython*",)


#: Folders of plain libraries (not Python modules, not plugins) that may hold orphans.
LIBRARY_FOLDERS = ("", "PySide6/Qt/lib")


def _is_prunable_library(dest: str) -> bool:
    path = _norm(dest)
    folder, _, name = path.rpartition("/")
    return (folder in LIBRARY_FOLDERS and ".so" in name and ".cpython-" not in name
            and ".abi3." not in name
            and not any(fnmatch.fnmatch(name, pat) for pat in ALWAYS_KEPT_LIBRARIES))


def orphan_libraries(binaries, imports_of) -> set[str]:  # noqa: ANN001
    """Bundle paths of shared libraries (system libraries PyInstaller copied next to libpython,
    Qt's own in PySide6/Qt/lib) that no kept binary needs any more: they came in with plugins
    dropped above (the GTK theme pulls GTK's whole stack, EGLFS its own Qt libraries).
    ``binaries`` are TOC entries (dest, src, type); ``imports_of(src)`` gives the library names
    a file links to (``ldd``: transitively). A library is matched by its file name."""
    by_name: dict[str, list[tuple[str, str]]] = {}
    for dest, src, _ in binaries:
        if _is_prunable_library(dest):
            by_name.setdefault(_norm(dest).rsplit("/", 1)[-1], []).append((_norm(dest), src))
    seen: set[str] = set()
    stack = [src for dest, src, _ in binaries if not _is_prunable_library(dest)]
    while stack:
        src = stack.pop()
        for name in imports_of(src):
            base = name.rsplit("/", 1)[-1]
            if base in by_name and base not in seen:
                seen.add(base)
                stack.extend(s for _, s in by_name[base])
    return {dest for name, entries in by_name.items() if name not in seen for dest, _ in entries}
