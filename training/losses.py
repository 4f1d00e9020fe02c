"""Losses for variable-length character sequences: cross-entropy and the four distillation
losses of "Text is Text, No Matter What" (Bhunia et al., ICCV 2021), in the forms that
``shared/docs/paper.md`` recommends where the paper's exact ones are not known.

Teacher and student both run with teacher forcing on the same ground truth, so step t of
one matches step t of the other. Step validity comes from the targets: a step is valid
where its target is not ``IGNORE`` (the characters and the end token).

Every loss returns one value per sample: the mean over that sample's valid steps. The
caller averages samples (optionally weighted per domain for conditional distillation).
Choice (ours, documented): the paper brief writes the losses as a mean over all valid steps
of the batch; in a batch that mixes 6-character words and 60-character lines that mean is
dominated by the lines, so we average per sample first and the two domains count equally.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

IGNORE = -100


def step_mask(targets: Tensor) -> Tensor:
    """(B, S) bool: True on valid decoding steps (characters and the end token)."""
    return targets != IGNORE


def _per_sample_mean(values: Tensor, mask: Tensor) -> Tensor:
    """values (B, S), mask (B, S) -> (B,) mean over each sample's valid steps."""
    mask = mask.to(values.dtype)
    return (values * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def sequence_cross_entropy(logits: Tensor, targets: Tensor, label_smoothing: float = 0.0) -> Tensor:
    """(B,) cross-entropy per sample, averaged over its valid steps."""
    per_step = F.cross_entropy(logits.transpose(1, 2).float(), targets.clamp(min=0),
                               reduction="none", label_smoothing=label_smoothing)
    return _per_sample_mean(per_step, step_mask(targets))


def ctc_auxiliary(ctc_logits: Tensor, encoder_mask: Tensor, targets: Tensor) -> Tensor:
    """(B,) CTC loss of the encoder's auxiliary head per sample, divided by its number of
    characters (so words and lines weigh alike, as with the other per-sample means).

    The blank is class 0, the end token, which never occurs inside a label. Padded encoder
    positions are cut off by the input lengths, padded steps and the end token by the target
    lengths. A label longer than its crop's positions allow has no alignment: its loss is
    zeroed (``zero_infinity``) rather than poisoning the batch."""
    chars = (targets > 0)  # IGNORE (-100) padding and the end token (0) excluded
    target_lengths = chars.sum(1)
    labels = torch.where(chars, targets, torch.zeros_like(targets))
    # The labels come first in each row (then the end token, then padding): keep them there.
    labels = labels[:, : max(1, int(target_lengths.max()))]
    log_probs = F.log_softmax(ctc_logits.float(), dim=-1).transpose(0, 1)  # (T, B, C)
    input_lengths = encoder_mask.sum(1)
    loss = F.ctc_loss(log_probs, labels, input_lengths, target_lengths, blank=0,
                      reduction="none", zero_infinity=True)
    return loss / target_lengths.clamp(min=1).to(loss.dtype)


def logits_distillation(student_logits: Tensor, teacher_logits: Tensor, targets: Tensor,
                        temperature: float = 2.0) -> Tensor:
    """(B,) tau^2 * KL(softmax(zT/tau) || softmax(zS/tau)) per step, averaged per sample."""
    t = temperature
    log_p_s = F.log_softmax(student_logits.float() / t, dim=-1)
    log_p_t = F.log_softmax(teacher_logits.float() / t, dim=-1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1)
    return _per_sample_mean(kl, step_mask(targets)) * (t * t)


class HintProjection(nn.Module):
    """P in the hint loss: identity when widths match, else a learned linear map S -> T."""

    def __init__(self, student_dim: int, teacher_dim: int):
        super().__init__()
        self.proj: nn.Module = (nn.Identity() if student_dim == teacher_dim
                                else nn.Linear(student_dim, teacher_dim, bias=False))

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x)


def hint_loss(student_glimpses: Tensor, teacher_glimpses: Tensor, targets: Tensor,
              projection: nn.Module | None = None) -> Tensor:
    """(B,) character-localised hint: squared distance between the attended (glimpse)
    features per step, as a mean over feature dimensions so its scale does not grow with
    the width; averaged per sample."""
    s = projection(student_glimpses) if projection is not None else student_glimpses
    per_step = ((teacher_glimpses.float() - s.float()) ** 2).mean(-1)
    return _per_sample_mean(per_step, step_mask(targets))


def _match_length(attention: Tensor, length: int) -> Tensor:
    if attention.shape[-1] == length:
        return attention
    b, s, t = attention.shape
    resized = F.interpolate(attention.reshape(b * s, 1, t), size=length, mode="linear",
                            align_corners=False).reshape(b, s, length)
    return resized / resized.sum(-1, keepdim=True).clamp(min=1e-8)


def attention_loss(student_attention: Tensor, teacher_attention: Tensor, targets: Tensor) -> Tensor:
    """(B,) L1 distance between the attention maps over encoder positions per step.

    Teacher and student share the encoder's stride, so their grids match; if not, the
    student's maps are resampled to the teacher's length (and renormalised)."""
    s = _match_length(student_attention.float(), teacher_attention.shape[-1])
    per_step = (teacher_attention.float() - s).abs().sum(-1)
    return _per_sample_mean(per_step, step_mask(targets))


def affinity_matrix(glimpses: Tensor, mask: Tensor) -> Tensor:
    """(B, S, S) cosine similarity between every pair of step features; zero off the mask."""
    g = F.normalize(glimpses.float(), dim=-1, eps=1e-8)
    a = torch.bmm(g, g.transpose(1, 2))
    pair = mask[:, :, None] & mask[:, None, :]
    return a * pair.to(a.dtype)


def affinity_loss(student_glimpses: Tensor, teacher_glimpses: Tensor, targets: Tensor) -> Tensor:
    """(B,) mean |A_T - A_S| over the L_b x L_b valid pairs of each word: the relations
    between its characters, independent of feature width, scale and rotation."""
    mask = step_mask(targets)
    diff = (affinity_matrix(teacher_glimpses, mask) - affinity_matrix(student_glimpses, mask)).abs()
    pairs = mask.sum(1).to(diff.dtype) ** 2
    return diff.sum((1, 2)) / pairs.clamp(min=1.0)


def conditional_weights(gaps: Tensor, strength: float) -> Tensor:
    """Per-domain distillation weights w = D * softmax(omega * gap) (mean 1).

    ``gaps[d]`` is teacher accuracy minus student accuracy on domain d, measured on held-back
    training samples. The domain the student lags most on gets the larger weight; strength
    (omega) 0 gives equal weights, i.e. conditional distillation off."""
    return gaps.numel() * torch.softmax(strength * gaps.float(), dim=0)
