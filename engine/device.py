"""Choosing where the recognizer runs, and how many CPU threads it may use.

One place turns the user's ``--device`` setting into a ``torch.device``, so a request that
cannot be met (CUDA on a laptop without it) fails at start-up with a message saying what to
do, instead of deep inside the first batch.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import torch

_CUDA_SPEC = re.compile(r"^cuda(?::(\d+))?$")
_HINT = "use --device cpu or auto"


class DeviceError(RuntimeError):
    """A requested device is unknown or not available on this machine."""


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """``torch.device`` for "auto", "cpu", "cuda", "cuda:N" or "mps" (case-insensitive).

    "auto" picks CUDA, then Apple MPS, then the CPU. An explicit accelerator that is not
    available raises :class:`DeviceError` rather than silently falling back, so the user
    learns their GPU is not being used.
    """
    text = str(spec).strip().lower() if spec is not None else "auto"
    if text in ("", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if text == "cpu":
        return torch.device("cpu")
    match = _CUDA_SPEC.match(text)
    if match:
        if not torch.cuda.is_available():
            raise DeviceError(f"CUDA was requested but no CUDA device is available; {_HINT}")
        if match.group(1) is None:
            return torch.device("cuda")
        index = int(match.group(1))
        count = torch.cuda.device_count()
        if index >= count:
            raise DeviceError(f"CUDA device {index} was requested but this machine has "
                              f"{count} CUDA device(s) (cuda:0..cuda:{count - 1}); {_HINT}")
        return torch.device("cuda", index)
    if text in ("mps", "mps:0"):
        if not _mps_available():
            raise DeviceError("Apple MPS was requested but is not available (it needs Apple "
                              f"silicon, macOS 12.3+ and a PyTorch build with MPS); {_HINT}")
        return torch.device("mps")
    raise DeviceError(f"unknown device {str(spec)!r}; expected auto, cpu, cuda, cuda:N or mps")


def configure_cpu_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count to ``n``, or else to ``OMP_NUM_THREADS`` where the
    user set it (e.g. to run two jobs side by side), or else to the physical cores this process
    may use; return the count. Idempotent: calling it again with the same result changes nothing.

    Physical rather than logical cores: hyper-threads share the vector units that convolution
    and LSTM kernels saturate, so extra threads mostly add contention.
    """
    if n is None:
        n = env_thread_limit() or physical_core_count()
    elif isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"thread count must be an int, got {type(n).__name__}")
    elif n < 1:
        raise ValueError(f"thread count must be at least 1, got {n}")
    n = max(1, n)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def env_thread_limit() -> int | None:
    """The thread count the user asked for in ``OMP_NUM_THREADS``, if it is a positive integer."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def physical_core_count() -> int:
    """Physical cores among the CPUs this process may run on (at least 1).

    Uses the affinity mask (containers and ``taskset`` restrict it) and, on Linux, the sysfs
    topology to count hyper-thread siblings once; elsewhere the logical count.
    """
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
    cores = set()
    for cpu in cpus:
        topo = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            package = (topo / "physical_package_id").read_text().strip()
            core = (topo / "core_id").read_text().strip()
        except OSError:
            return max(1, len(cpus))
        cores.add((package, core))
    return max(1, len(cores) or len(cpus))


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    try:
        return bool(mps is not None and mps.is_available())
    except Exception:  # older builds raise instead of answering False
        return False
