"""The two-stage baseline: a small domain classifier routes each crop to the matching teacher.

The classifier is the recognizer's own ResNet feature extractor (tiny preset) with a masked
mean over the width and a linear layer: crops of any width, no padding effects. It is
trained on the same mixed data as the student. Three networks at inference, which is the
cost the paper's unified student avoids.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.checkpoint import atomic_torch_save
from engine.config import ModelConfig, preset
from engine.model import FeatureExtractor
from engine.preprocess import collate, prepare_crop
from engine.recognizer import Prediction, Recognizer

from .distill import DOMAINS


class DomainClassifier(nn.Module):
    def __init__(self, cfg: ModelConfig | None = None):
        super().__init__()
        self.config = cfg or preset("tiny", num_classes=2)
        self.features = FeatureExtractor(self.config)
        self.head = nn.Linear(self.features.out_channels, len(DOMAINS))

    def forward(self, images: Tensor, widths: Tensor) -> Tensor:
        feats, lengths = self.features(images, widths)  # (B, T, C)
        mask = (torch.arange(feats.shape[1], device=feats.device)[None] < lengths[:, None]).float()
        pooled = (feats * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return self.head(pooled)


def merged(batches: Sequence[Any]) -> tuple[Tensor, Tensor, Tensor]:
    """One batch of images, widths and domain ids from per-domain sub-batches, right-padded to
    the widest (padding is masked by the feature extractor)."""
    width = max(b.images.shape[-1] for b in batches)
    images = torch.cat([F.pad(b.images, (0, width - b.images.shape[-1])) for b in batches])
    return images, torch.cat([b.widths for b in batches]), torch.cat([b.domains for b in batches])


def classifier_loss(module: nn.Module, batch: Any) -> tuple[Tensor, dict[str, float]]:
    """Cross-entropy on the domain ids of one batch or of per-domain sub-batches.

    Sub-batches go through the network as one mixed batch: a batch holding one domain only
    lets batch normalisation tell the domains apart by the batch's own statistics, which the
    running statistics used at inference do not give (routing fell to 0.41 that way)."""
    images, widths, labels = merged(batch if isinstance(batch, list) else [batch])
    logits_all = module(images, widths)
    loss = F.cross_entropy(logits_all, labels)
    acc = float((logits_all.argmax(-1) == labels).float().mean())
    return loss, {"acc": acc}


def save_classifier(path: Path, model: DomainClassifier) -> None:
    atomic_torch_save({"format": "unitext-domain-classifier", "config": model.config.to_dict(),
                       "state_dict": model.state_dict()}, path)


def load_classifier(path: Path) -> DomainClassifier:
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if blob.get("format") != "unitext-domain-classifier":
        raise ValueError(f"{path} is not a domain classifier file")
    model = DomainClassifier(ModelConfig.from_dict(blob["config"]))
    model.load_state_dict(blob["state_dict"])
    return model.eval()


class TwoStageRecognizer:
    """Recognizer-compatible: classify each crop's domain, then read it with that teacher."""

    def __init__(self, classifier: DomainClassifier, teachers: dict[str, Recognizer]):
        self.classifier = classifier.eval()
        self.teachers = teachers
        self.model_path = "two-stage(" + ", ".join(t.model_path for t in teachers.values()) + ")"
        self.device = "cpu"
        self.routed: list[str] = []  # the domain chosen for every crop read so far

    @torch.inference_mode()
    def classify(self, crops: Sequence[np.ndarray], batch_size: int = 32) -> list[str]:
        cfg = self.classifier.config
        out: list[str] = []
        for i in range(0, len(crops), batch_size):
            images, widths = collate([prepare_crop(c, cfg.height, cfg.max_width)
                                      for c in crops[i:i + batch_size]])
            out.extend(DOMAINS[int(k)] for k in self.classifier(images, widths).argmax(-1))
        return out

    def recognize(self, crops: Sequence[np.ndarray], batch_size: int = 16, **_: Any) -> list[Prediction]:
        domains = self.classify(crops)
        self.routed.extend(domains)
        results: list[Prediction | None] = [None] * len(crops)
        for name, teacher in self.teachers.items():
            idx = [i for i, d in enumerate(domains) if d == name]
            if idx:
                for i, p in zip(idx, teacher.recognize([crops[i] for i in idx], batch_size)):
                    results[i] = p
        return [r if r is not None else Prediction("", 0.0, []) for r in results]
