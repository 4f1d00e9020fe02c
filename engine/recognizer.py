"""The inference façade: load a model file once, then read crops or regions of an image.

Crops are prepared, sorted by width and batched so little padding is computed, and run
under ``torch.inference_mode`` on the chosen device, by a frozen copy of the model made for
reading (:mod:`engine.inference`: folded batch norms, a fused greedy decoder, int8 decoder
weights on the CPU). Tall crops (vertical text) are read in
both 90-degree orientations and the more confident reading is kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .charset import Charset
from .checkpoint import load_model
from .decoding import loop_free_length, ran_away
from .device import configure_cpu_threads, resolve_device
from .inference import InferenceModel, int8_supported
from .model import TextRecognizer
from .preprocess import collate, prepare_crop
from .resources import default_model_path


@dataclass
class Prediction:
    """What the model read in one crop."""

    text: str
    confidence: float  # geometric mean of the per-step probabilities, end token included
    char_confidences: list[float] = field(default_factory=list)  # one per character of text


def sequence_confidence(char_probs: Sequence[float], end_prob: float) -> float:
    """Length-normalised: a long line is not penalised just for having many characters."""
    probs = np.clip(np.asarray([*char_probs, end_prob], dtype=np.float64), 1e-9, 1.0)
    return float(np.exp(np.log(probs).mean()))


class Recognizer:
    """A loaded model ready to read crops. Create with :meth:`load`."""

    def __init__(self, model: TextRecognizer, charset: Charset, metadata: dict[str, Any],
                 device: torch.device, model_path: str = "<memory>", int8: bool | None = None):
        """``int8``: decoder weights in int8 (CPU only); None = wherever the CPU supports it.

        Only the inference copy is kept, not ``model`` itself: one set of weights in memory."""
        model = model.to(device).eval()
        if int8 is None:
            int8 = torch.device(device).type == "cpu" and int8_supported()
        self.int8 = int8
        self.weights = "int8 decoder weights" if int8 else "float weights"  # for reports
        self.reader = InferenceModel(model, int8=int8)
        self.charset = charset
        self.metadata = metadata
        self.device = str(device)
        self.model_path = model_path
        self.config = model.config
        self.trim_runaways = True  # cut a reading that loops until a length cap (engine.decoding)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, device: str = "auto",
             threads: int | None = None, int8: bool | None = None) -> "Recognizer":
        """Load a model file (default: the bundled model); raises ModelFileError/DeviceError."""
        dev = resolve_device(device)
        if dev.type == "cpu":
            configure_cpu_threads(threads)
        path = Path(path) if path is not None else default_model_path()
        model, charset, metadata = load_model(path)
        return cls(model, charset, metadata, dev, str(path), int8=int8)

    def recognize(self, crops: Sequence[np.ndarray], batch_size: int = 16,
                  progress: Callable[[int, int], None] | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> list[Prediction]:
        """Read each crop (uint8 gray or RGB arrays); results in input order."""
        cfg = self.config
        prepared = [prepare_crop(c, cfg.height, cfg.max_width) for c in crops]
        order = sorted(range(len(prepared)), key=lambda i: prepared[i].shape[1])
        results: list[Prediction | None] = [None] * len(prepared)
        done = 0
        for start in range(0, len(order), max(1, batch_size)):
            if should_cancel is not None and should_cancel():
                raise RecognitionCancelled(done, len(prepared))
            idx = order[start:start + batch_size]
            for i, pred in zip(idx, self._run_batch([prepared[i] for i in idx])):
                results[i] = pred
            done += len(idx)
            if progress is not None:
                progress(done, len(prepared))
        return [r for r in results if r is not None]

    def recognize_regions(self, image: np.ndarray, regions: Sequence[Any], batch_size: int = 16,
                          progress: Callable[[int, int], None] | None = None,
                          should_cancel: Callable[[], bool] | None = None
                          ) -> list[Prediction | Exception]:
        """Cut and read each region of ``image``; a region that cannot be cut yields its
        error (e.g. RegionError) in its place so one bad region does not lose the others."""
        from .rectify import orientation_candidates, rectify_region

        crops: list[np.ndarray] = []
        owners: list[int] = []
        out: list[Prediction | Exception | None] = [None] * len(regions)
        for i, region in enumerate(regions):
            try:
                crop = rectify_region(image, region)
            except ValueError as exc:
                out[i] = exc
                continue
            for candidate in orientation_candidates(crop):
                crops.append(candidate)
                owners.append(i)
        preds = self.recognize(crops, batch_size, progress, should_cancel)
        for owner, pred in zip(owners, preds):
            best = out[owner]
            if best is None or (isinstance(best, Prediction) and pred.confidence > best.confidence):
                out[owner] = pred
        return [r if r is not None else ValueError("region was not read") for r in out]

    @torch.inference_mode()
    def _run_batch(self, prepared: list[np.ndarray]) -> list[Prediction]:
        images, widths = collate(prepared)
        result = self.reader.read(images.to(self.device), widths.to(self.device))
        indices = result.indices.cpu().numpy()
        probs = result.probabilities.float().cpu().numpy()
        lengths = result.lengths.cpu().numpy()
        preds = []
        positions = result.encoder_positions.cpu().numpy()
        ended = result.ended_by_model.cpu().numpy()
        for row, p, n, frames, own_end in zip(indices, probs, lengths, positions, ended):
            n = int(n)
            if self.trim_runaways and ran_away(n, int(frames), bool(own_end)):
                # Keep the reading up to its loop; the model never ended it: a doubtful reading.
                text = self.charset.decode(row[:loop_free_length(row[:n].tolist())]).rstrip()
                chars = [float(x) for x in p[:len(text)]]
                preds.append(Prediction(text, sequence_confidence(chars, 0.0), chars))
                continue
            text = self.charset.decode(row[:n])
            chars = [float(x) for x in p[:n]]
            end = float(p[n]) if n < len(p) else 0.0
            preds.append(Prediction(text, sequence_confidence(chars, end), chars))
        return preds


class RecognitionCancelled(Exception):
    """Raised between batches when ``should_cancel`` returns True."""

    def __init__(self, done: int, total: int):
        self.done, self.total = done, total
        super().__init__(f"recognition cancelled after {done} of {total} crops")
