"""The two-stage baseline's domain classifier learns from mixed batches, as it is used."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from training.two_stage import DomainClassifier, classifier_loss, merged


def _sub_batch(domain: int, n: int, width: int, brightness: float, gen: torch.Generator):
    images = brightness + 0.05 * torch.randn(n, 1, 32, width, generator=gen)
    return SimpleNamespace(images=images, widths=torch.full((n,), width),
                           domains=torch.full((n,), domain, dtype=torch.long))


def test_merged_pads_sub_batches_to_the_widest() -> None:
    gen = torch.Generator().manual_seed(0)
    images, widths, labels = merged([_sub_batch(0, 3, 40, 0.2, gen), _sub_batch(1, 2, 100, 0.8, gen)])
    assert images.shape == (5, 1, 32, 100)
    assert widths.tolist() == [40, 40, 40, 100, 100] and labels.tolist() == [0, 0, 0, 1, 1]


def test_per_domain_sub_batches_give_a_classifier_that_routes_in_eval_mode() -> None:
    """The domains differ only in brightness. Trained one single-domain batch at a time, batch
    normalisation would remove exactly that cue and the classifier would guess; trained on
    mixed batches it routes every crop right with its running statistics (eval mode)."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    model = DomainClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(40):
        batch = [_sub_batch(0, 8, 64, 0.3, gen), _sub_batch(1, 8, 64, 0.7, gen)]
        loss, _ = classifier_loss(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        for domain, brightness in ((0, 0.3), (1, 0.7)):
            b = _sub_batch(domain, 16, 64, brightness, gen)
            routed = model(b.images, b.widths).argmax(-1)
            assert (routed == domain).float().mean() >= 0.95, (domain, routed.tolist())
