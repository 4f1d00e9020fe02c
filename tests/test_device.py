"""engine.device: device resolution on every path (availability faked), CPU thread setup."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import torch

from engine import device as dev
from engine.device import DeviceError, configure_cpu_threads, physical_core_count, resolve_device


def fake(monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool, count: int = 1) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count if cuda else 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


def test_auto_is_cpu_on_this_machine() -> None:
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this machine has an accelerator")
    assert resolve_device() == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.parametrize("cuda,mps,expected", [
    (True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu"),
])
def test_auto_preference_order(monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool,
                               expected: str) -> None:
    fake(monkeypatch, cuda, mps)
    assert resolve_device("auto").type == expected
    assert resolve_device(" AUTO ").type == expected


def test_cuda_requested(monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, cuda=False, mps=True)
    with pytest.raises(DeviceError, match="CUDA was requested but no CUDA device is available; "
                                          "use --device cpu or auto"):
        resolve_device("cuda")
    with pytest.raises(DeviceError, match="CUDA was requested"):
        resolve_device("cuda:0")
    fake(monkeypatch, cuda=True, mps=False, count=2)
    assert resolve_device("cuda") == torch.device("cuda")
    assert resolve_device("CUDA:1") == torch.device("cuda", 1)
    with pytest.raises(DeviceError, match=r"CUDA device 2 .* 2 CUDA device"):
        resolve_device("cuda:2")


def test_mps_requested(monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, cuda=True, mps=False)
    with pytest.raises(DeviceError, match="MPS was requested.*use --device cpu or auto"):
        resolve_device("mps")
    fake(monkeypatch, cuda=False, mps=True)
    assert resolve_device("mps") == torch.device("mps")


def test_cpu_always_works(monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, cuda=True, mps=True)
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("spec", ["gpu", "cuda:", "cuda:x", "cuda:-1", "tpu", "cpu:0:1", "metal"])
def test_unknown_spec(spec: str) -> None:
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device(spec)
    assert issubclass(DeviceError, RuntimeError)


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_configure_cpu_threads(restore_threads: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert configure_cpu_threads(1) == 1 and torch.get_num_threads() == 1
    assert configure_cpu_threads(2) == 2 and torch.get_num_threads() == 2
    calls: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    assert configure_cpu_threads(2) == 2
    assert calls == []  # idempotent: nothing to change
    monkeypatch.setattr(dev, "physical_core_count", lambda: 3)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert configure_cpu_threads() == 3 and calls == [3]
    with pytest.raises(ValueError, match="at least 1"):
        configure_cpu_threads(0)


def test_user_thread_limit_is_kept(restore_threads: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """OMP_NUM_THREADS=1 (two jobs side by side) is not raised to the core count by loading
    a model; an explicit count still wins, and a malformed value is ignored."""
    monkeypatch.setattr(dev, "physical_core_count", lambda: 4)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert configure_cpu_threads() == 1
    assert configure_cpu_threads(2) == 2
    for bad in ("", "0", "two", "-3"):
        monkeypatch.setenv("OMP_NUM_THREADS", bad)
        assert configure_cpu_threads() == 4


def test_physical_core_count(monkeypatch: pytest.MonkeyPatch) -> None:
    n = physical_core_count()
    assert n >= 1
    if hasattr(os, "sched_getaffinity"):
        assert n <= len(os.sched_getaffinity(0))
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set())
        assert physical_core_count() == 1  # never zero
