"""The ``unitext`` command: the GUI by default, plus ``read``, ``train …`` and ``eval``.

Sub-commands import their heavy modules only when chosen, so ``unitext --version`` and the
GUI's start-up do not pay for torch or the training code.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .version import APP_NAME, app_version

SUBCOMMANDS = ("read", "train", "eval", "gui")

USAGE = f"""usage: unitext [--version] [--first-run] [IMAGE_OR_PROJECT ...]
       unitext read IMAGE... [--box x,y,w,h ...] [--format text|json|...]
       unitext train {{teacher,student,ablation,pipeline,synth-preview,render-cache,plot}} ...
       unitext eval --model MODEL DATASET...

{APP_NAME}: offline OCR for scene text and handwriting. Without a sub-command it opens the
desktop application with the given images or project. `unitext COMMAND --help` for more."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if args and args[0] == "--version":
        print(f"{APP_NAME} {app_version()}")
        return 0
    command = args[0] if args and args[0] in SUBCOMMANDS else "gui"
    rest = args[1:] if args and args[0] in SUBCOMMANDS else args
    if command == "read":
        from .read_command import main as read_main
        return read_main(rest)
    if command == "train":
        from training.cli import train_main
        return train_main(rest)
    if command == "eval":
        from training.cli import eval_main
        return eval_main(rest)
    from .launch import launch_gui
    return launch_gui(rest)


if __name__ == "__main__":
    raise SystemExit(main())
