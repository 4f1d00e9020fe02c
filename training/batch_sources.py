"""Batch sources for the training loop: a resumable DataLoader over a width-bucketed stream,
and the student's mixed batches.

The student's batch holds both domains, as the method asks, but as two width-bucketed
sub-batches (scene words, handwritten lines) in the same optimizer step. One padded tensor
would pad every 100-pixel word to the width of a 1,500-pixel line and spend most of the
encoder's work on padding; two sub-batches compute the same losses without that waste.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader

from .data.batching import Batch, StreamBatches


class LoaderBatches:
    """Batches of one StreamBatches, prepared in worker processes, resumable exactly."""

    def __init__(self, make_stream: Callable[[int], StreamBatches], device: torch.device,
                 num_workers: int = 1):
        self.make_stream = make_stream
        self.device = device
        self.num_workers = num_workers
        self.next_index = 0
        self._iter: Iterator[Batch] | None = None

    def _start(self) -> Iterator[Batch]:
        stream = self.make_stream(self.next_index)
        if self.num_workers <= 0:
            return iter(stream)
        loader = DataLoader(stream, batch_size=None, num_workers=self.num_workers,
                            prefetch_factor=4, persistent_workers=False,
                            pin_memory=self.device.type == "cuda")
        return iter(loader)

    def next_batch(self) -> Batch:
        if self._iter is None:
            self._iter = self._start()
        batch = next(self._iter)
        if batch.index != self.next_index:
            raise RuntimeError(f"batch order broken: got {batch.index}, expected {self.next_index}")
        self.next_index = batch.index + 1
        return batch.to(self.device, non_blocking=True)

    def state_dict(self) -> dict[str, Any]:
        return {"next_batch": self.next_index}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.next_index = int(state["next_batch"])
        self._iter = None


class DomainBatches:
    """One sub-batch per domain for each step (the student and the multi-task baseline)."""

    def __init__(self, sources: dict[str, LoaderBatches]):
        self.sources = sources

    def next_batch(self) -> list[Batch]:
        return [src.next_batch() for src in self.sources.values()]

    def state_dict(self) -> dict[str, Any]:
        return {name: src.state_dict() for name, src in self.sources.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, src in self.sources.items():
            src.load_state_dict(state[name])


def batch_size_of(batch: Batch | list[Batch]) -> int:
    if isinstance(batch, list):
        return sum(len(b) for b in batch)
    return len(batch)
