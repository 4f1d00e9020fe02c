"""Knowledge distillation of one student from a scene-text and a handwriting teacher
("Text is Text, No Matter What", Bhunia et al., ICCV 2021).

Every batch mixes both domains. Each sample goes to its own domain's teacher (frozen, eval
mode); teacher and student run with teacher forcing on the same ground truth so their steps
align. The student's loss is cross-entropy plus four distillation terms (logits, glimpse
hints, attention maps, character affinities), each averaged over valid steps per sample.
Conditional distillation scales each domain's distillation by w = 2 softmax(omega * gap),
where gap = teacher score - student score on held-back training samples of that domain.

Choice (ours): the "score" behind the gap is 1 - CER rather than exact accuracy. Exact line
accuracy stays near zero for long handwritten lines for most of training, which would leave
the handwriting gap uninformative; 1 - CER moves smoothly for words and lines alike.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from engine.model import DecoderOutput, TextRecognizer

from . import losses as L

DOMAINS = ("scene", "handwriting")  # index = the domain id carried by batches


@dataclass
class DistillConfig:
    """Weights of the student's loss terms; a weight of 0 switches that term off."""

    temperature: float = 2.0
    w_ce: float = 1.0
    w_logits: float = 1.0
    w_hint: float = 1.0
    w_attention: float = 1.0
    w_affinity: float = 1.0
    conditional_strength: float = 5.0  # omega; 0 = conditional distillation off
    label_smoothing: float = 0.0
    w_ctc: float = 0.5  # the auxiliary CTC loss, for a model built with ``ctc_aux``

    @property
    def uses_teachers(self) -> bool:
        return any(w > 0 for w in (self.w_logits, self.w_hint, self.w_attention, self.w_affinity))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class StudentWithProjection(nn.Module):
    """What the optimizer trains: the student and the hint projection(s) into each teacher's
    glimpse width (identity where the widths match)."""

    def __init__(self, student: TextRecognizer, teacher_glimpse_dims: dict[str, int]):
        super().__init__()
        self.student = student
        s_dim = student.decoder.glimpse_dim
        self.projections = nn.ModuleDict({d: L.HintProjection(s_dim, t) for d, t in
                                          teacher_glimpse_dims.items()})

    def forward(self, images: Tensor, widths: Tensor, targets: Tensor) -> DecoderOutput:
        return self.student(images, widths, targets)


def freeze(model: TextRecognizer) -> TextRecognizer:
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


class Distiller:
    """Computes the student's loss for a mixed batch; holds the frozen teachers and the
    current per-domain conditional weights."""

    def __init__(self, teachers: dict[str, TextRecognizer], cfg: DistillConfig):
        self.teachers = {d: freeze(t) for d, t in teachers.items()}
        self.cfg = cfg
        self.domain_weights = torch.ones(len(DOMAINS))

    def update_conditional_weights(self, teacher_scores: dict[str, float],
                                   student_scores: dict[str, float]) -> dict[str, float]:
        # Scores are 1 - CER, which has no floor: a student that still babbles (CER 3) would
        # put every weight on its domain. Bounded to [0, 1] ("nothing right yet" is 0).
        def bounded(x: float) -> float:
            return min(1.0, max(0.0, float(x)))

        gaps = torch.tensor([bounded(teacher_scores[d]) - bounded(student_scores[d])
                             for d in DOMAINS])
        self.domain_weights = L.conditional_weights(gaps, self.cfg.conditional_strength)
        return {f"w_{d}": float(w) for d, w in zip(DOMAINS, self.domain_weights)}

    def teacher_outputs(self, batch: Any) -> dict[str, tuple[Tensor, DecoderOutput]]:
        """Per domain present in the batch: (sample indices, teacher outputs on them)."""
        out = {}
        with torch.no_grad():
            for d_id, name in enumerate(DOMAINS):
                idx = (batch.domains == d_id).nonzero(as_tuple=True)[0]
                if idx.numel() == 0 or name not in self.teachers:
                    continue
                out[name] = (idx, self.teachers[name](batch.images[idx], batch.widths[idx],
                                                      batch.targets[idx]))
        return out

    def loss(self, module: nn.Module, batch: Any) -> tuple[Tensor, dict[str, float]]:
        """Mean student loss over every sample of ``batch`` (one Batch, or one sub-batch per
        domain computed in the same step)."""
        sub_batches = batch if isinstance(batch, list) else [batch]
        total = None
        sums: dict[str, float] = {}
        count = 0
        for b in sub_batches:
            per_sample, metrics = self.per_sample_loss(module, b)
            n = int(per_sample.shape[0])
            total = per_sample.sum() if total is None else total + per_sample.sum()
            for k, v in metrics.items():
                sums[k] = sums.get(k, 0.0) + v * n
            count += n
        assert total is not None, "empty batch"
        return total / count, {k: v / count for k, v in sums.items()}

    def per_sample_loss(self, module: nn.Module, batch: Any) -> tuple[Tensor, dict[str, float]]:
        """(B,) total loss per sample and the batch means of its terms."""
        cfg = self.cfg
        inner = module.module if hasattr(module, "module") else module  # DDP-wrapped or not
        s_out: DecoderOutput = module(batch.images, batch.widths, batch.targets)
        ce = L.sequence_cross_entropy(s_out.logits, batch.targets, cfg.label_smoothing)
        total = cfg.w_ce * ce
        metrics = {"ce": float(ce.detach().mean()), "acc": token_accuracy(s_out, batch.targets)}
        if s_out.ctc_logits is not None and cfg.w_ctc > 0:
            ctc = L.ctc_auxiliary(s_out.ctc_logits, s_out.encoder_mask, batch.targets)
            total = total + cfg.w_ctc * ctc
            metrics["ctc"] = float(ctc.detach().mean())
        if not cfg.uses_teachers:
            return total, metrics
        terms = {k: torch.zeros_like(ce) for k in ("logits", "hint", "attention", "affinity")}
        for name, (idx, t_out) in self.teacher_outputs(batch).items():
            tg = batch.targets[idx]
            s_logits, s_attn, s_glim = s_out.logits[idx], s_out.attention[idx], s_out.glimpses[idx]
            if cfg.w_logits > 0:
                terms["logits"][idx] = L.logits_distillation(s_logits, t_out.logits, tg, cfg.temperature)
            if cfg.w_hint > 0:
                terms["hint"][idx] = L.hint_loss(s_glim, t_out.glimpses, tg, inner.projections[name])
            if cfg.w_attention > 0:
                terms["attention"][idx] = L.attention_loss(s_attn, t_out.attention, tg)
            if cfg.w_affinity > 0:
                terms["affinity"][idx] = L.affinity_loss(s_glim, t_out.glimpses, tg)
        weights = self.domain_weights.to(ce.device)[batch.domains]
        for key, weight in (("logits", cfg.w_logits), ("hint", cfg.w_hint),
                            ("attention", cfg.w_attention), ("affinity", cfg.w_affinity)):
            if weight > 0:
                total = total + weight * weights * terms[key]
                metrics[key] = float(terms[key].detach().mean())
        return total, metrics


def token_accuracy(out: DecoderOutput, targets: Tensor) -> float:
    """Share of valid steps whose argmax is the target (teacher-forced, so optimistic)."""
    mask = L.step_mask(targets)
    hits = (out.logits.argmax(-1) == targets) & mask
    return float(hits.sum()) / max(int(mask.sum()), 1)
