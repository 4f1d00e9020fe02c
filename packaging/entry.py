"""The desktop bundle's program: ``dist/unitext/unitext`` runs this (PyInstaller script).

It is ``unitext_app.cli.main`` plus what only a frozen program needs:

* ``multiprocessing.freeze_support()``, so the ``spawn`` worker processes of
  ``unitext train render-cache`` start the bundle itself as a worker, not a second app;
* a plain message instead of a traceback for the few modules the bundle leaves out on
  purpose (``bundle_config.LEFT_OUT_HINTS``);
* the packaging smoke check of the GUI (``UNITEXT_SMOKE_GUI=IMAGE``, see smoke_gui.py): it
  runs in this very program, so it proves the bundle's Qt plugins, icons, resources and model
  loading, not a stand-in's.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

SMOKE_ENV = "UNITEXT_SMOKE_GUI"

LEFT_OUT_HINTS = {
    "matplotlib": "`unitext train plot` needs matplotlib, which the desktop build leaves out; "
                  "install UniText with pip (`pip install \"unitext[train]\"`) to plot runs.",
}


def main() -> int:
    multiprocessing.freeze_support()
    if os.environ.get(SMOKE_ENV):
        import smoke_gui
        return smoke_gui.main(sys.argv[1:])
    from unitext_app.cli import main as cli_main
    try:
        return cli_main()
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top in LEFT_OUT_HINTS:
            print(f"unitext: {LEFT_OUT_HINTS[top]}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
