"""A stand-in for a training process (spawned by tests): waits for SIGTERM, then records it
in its run folder and exits cleanly, as training.loop does after its last checkpoint."""

from __future__ import annotations

import signal
import time
from pathlib import Path


def wait_for_sigterm(run: Path, _cfg: dict) -> None:
    got: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: got.append(signum))
    Path(run).mkdir(parents=True, exist_ok=True)
    (Path(run) / "started").write_text("1")
    deadline = time.monotonic() + 60
    while not got and time.monotonic() < deadline:
        time.sleep(0.05)
    (Path(run) / ("stopped-by-signal" if got else "timed-out")).write_text("1")
