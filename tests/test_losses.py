"""Each distillation loss on hand-built tensors: zero when teacher and student agree,
positive and differentiable otherwise, blind to padded steps, and the invariance it claims."""

from __future__ import annotations

import pytest
import torch

from training import losses as L

B, S, C, T, D = 3, 7, 11, 9, 6
LENGTHS = [7, 3, 5]  # valid steps per sample (characters + end token)


def targets() -> torch.Tensor:
    t = torch.randint(1, C, (B, S))
    for b, n in enumerate(LENGTHS):
        t[b, n - 1] = 0
        t[b, n:] = L.IGNORE
    return t


def tensors(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, S, C, generator=g)
    attn = torch.softmax(torch.randn(B, S, T, generator=g), -1)
    glimpses = torch.randn(B, S, D, generator=g)
    return logits, attn, glimpses


LOSSES = {
    "logits": lambda s, t, tg: L.logits_distillation(s[0], t[0], tg, 2.0),
    "hint": lambda s, t, tg: L.hint_loss(s[2], t[2], tg),
    "attention": lambda s, t, tg: L.attention_loss(s[1], t[1], tg),
    "affinity": lambda s, t, tg: L.affinity_loss(s[2], t[2], tg),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_zero_for_identical_positive_and_differentiable_otherwise(name: str) -> None:
    torch.manual_seed(0)
    tg = targets()
    teacher = tensors(1)
    same = LOSSES[name](teacher, teacher, tg)
    assert same.shape == (B,)
    assert torch.allclose(same, torch.zeros(B), atol=1e-6)
    student = [x.clone().requires_grad_(True) for x in tensors(2)]
    diff = LOSSES[name](student, teacher, tg)
    assert (diff > 0).all()
    diff.sum().backward()
    assert any(x.grad is not None and x.grad.abs().sum() > 0 for x in student)


@pytest.mark.parametrize("name", list(LOSSES))
def test_padded_steps_do_not_count(name: str) -> None:
    torch.manual_seed(0)
    tg = targets()
    teacher, student = tensors(1), tensors(2)
    base = LOSSES[name](student, teacher, tg)
    # Scramble the student everywhere past each sample's valid steps.
    scrambled = [x.clone() for x in student]
    noise = tensors(9)
    for b, n in enumerate(LENGTHS):
        for k in range(3):
            scrambled[k][b, n:] = noise[k][b, n:]
    assert torch.allclose(LOSSES[name](scrambled, teacher, tg), base, atol=1e-6)


def test_logits_loss_ignores_a_constant_shift() -> None:
    tg = targets()
    t, s = tensors(1), tensors(2)
    shifted = (s[0] + 5.0, s[1], s[2])
    assert torch.allclose(LOSSES["logits"](shifted, t, tg), LOSSES["logits"](s, t, tg), atol=1e-5)


def test_affinity_ignores_scale_and_rotation_of_features() -> None:
    tg = targets()
    t, s = tensors(1), tensors(2)
    q, _ = torch.linalg.qr(torch.randn(D, D))
    transformed = (s[0], s[1], 3.0 * s[2] @ q)
    assert torch.allclose(LOSSES["affinity"](transformed, t, tg), LOSSES["affinity"](s, t, tg), atol=1e-5)
    # ...and its matrix does not depend on feature width: a teacher with wider features works.
    wide_teacher = (t[0], t[1], torch.cat([t[2], t[2]], -1))
    assert torch.allclose(L.affinity_loss(t[2], wide_teacher[2], tg), torch.zeros(B), atol=1e-6)


def test_hint_projection_maps_widths() -> None:
    tg = targets()
    proj = L.HintProjection(D, 10)
    s = torch.randn(B, S, D)
    loss = L.hint_loss(s, torch.randn(B, S, 10), tg, proj)
    loss.sum().backward()
    assert proj.proj.weight.grad is not None
    assert isinstance(L.HintProjection(D, D).proj, torch.nn.Identity)


def test_attention_resampled_when_grids_differ() -> None:
    tg = targets()
    t = torch.softmax(torch.randn(B, S, 8), -1)
    s = torch.softmax(torch.randn(B, S, 16), -1)
    out = L.attention_loss(s, t, tg)
    assert out.shape == (B,) and torch.isfinite(out).all()


def test_cross_entropy_masks_padding() -> None:
    tg = targets()
    logits = tensors(1)[0]
    ce = L.sequence_cross_entropy(logits, tg)
    logits2 = logits.clone()
    logits2[0, LENGTHS[0]:] = 100.0
    logits2[1, LENGTHS[1]:] = -100.0
    assert torch.allclose(L.sequence_cross_entropy(logits2, tg), ce)


def test_conditional_weights_move_toward_larger_gap() -> None:
    equal = L.conditional_weights(torch.tensor([0.1, 0.1]), 5.0)
    assert torch.allclose(equal, torch.ones(2))
    w = L.conditional_weights(torch.tensor([0.05, 0.30]), 5.0)
    assert w[1] > 1 > w[0] and torch.isclose(w.sum(), torch.tensor(2.0))
    off = L.conditional_weights(torch.tensor([0.05, 0.30]), 0.0)
    assert torch.allclose(off, torch.ones(2))


def test_ctc_auxiliary_masks_padding_and_learns() -> None:
    """The auxiliary CTC loss: positive and differentiable, blind to padded encoder positions
    and to padded steps, per character, and lowest where the head emits the label."""
    tg = targets()
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(B, 20, C, generator=g, requires_grad=True)
    mask = torch.ones(B, 20, dtype=torch.bool)
    mask[1, 12:] = False
    loss = L.ctc_auxiliary(logits, mask, tg)
    assert loss.shape == (B,) and bool((loss > 0).all())
    loss.sum().backward()
    assert logits.grad is not None and float(logits.grad.abs().sum()) > 0
    # Whatever sits in padded positions or a longer padded label row changes nothing.
    noisy = logits.detach().clone()
    noisy[1, 12:] = 100.0
    wide = torch.cat([tg, torch.full((B, 4), L.IGNORE)], 1)
    assert torch.allclose(L.ctc_auxiliary(noisy, mask, wide), loss.detach(), atol=1e-5)
    # A head that spells each label (char, blank, char, ...) scores far better than noise.
    perfect = torch.full((B, 20, C), -10.0)
    for b, n in enumerate(LENGTHS):
        chars = [int(c) for c in tg[b, : n - 1]]
        perfect[b, :, 0] = 10.0  # blank everywhere ...
        for k, c in enumerate(chars):  # ... except one position per character
            perfect[b, 2 * k, 0], perfect[b, 2 * k, c] = -10.0, 10.0
    best = L.ctc_auxiliary(perfect, mask, tg)
    assert bool((best < 0.01).all()) and bool((best < loss.detach()).all())
