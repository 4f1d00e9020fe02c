"""Start the desktop application, or explain plainly why it cannot start here.

``--first-run`` (what ``make run`` uses) opens the bundled samples. On a machine with no
display it says so and reads the samples through ``unitext read`` instead of crashing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def display_available() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal", "vnc"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True  # Windows and macOS always have a screen session for a desktop user


def read_samples_in_terminal() -> int:
    from .read_command import main as read_main
    from .samples import SCENE_SAMPLE, samples_dir

    image = samples_dir() / SCENE_SAMPLE
    print(f"Reading the bundled sample photo {image.name} with `unitext read`:\n", flush=True)
    return read_main([str(image), "--regions", str(image.with_suffix(".boxes.tsv"))])


def launch_gui(args: Sequence[str]) -> int:
    args = list(args)
    first_run = "--first-run" in args
    paths = [a for a in args if a != "--first-run"]
    unknown = [a for a in paths if a.startswith("-")]
    if unknown:
        print(f"unitext: unknown option {unknown[0]!r} (see unitext --help)", file=sys.stderr)
        return 2
    if not display_available():
        print("unitext: no display found (DISPLAY/WAYLAND_DISPLAY unset), so the desktop "
              "window cannot open here.", file=sys.stderr)
        if first_run:
            return read_samples_in_terminal()
        print("Use `unitext read IMAGE` on this machine, or run UniText where there is a screen.",
              file=sys.stderr)
        return 1
    from .gui.app import run_gui
    return run_gui(paths, first_run_samples=first_run)
