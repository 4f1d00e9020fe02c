"""The recognizer's step outputs, shapes and padding invariance."""

from __future__ import annotations

import pytest
import torch

from engine.charset import EOS_INDEX, Charset
from engine.config import ModelConfig, preset
from engine.model import TextRecognizer
from tests.support.batches import random_batch

CHARSET = Charset()


@pytest.fixture(scope="module")
def model() -> TextRecognizer:
    torch.manual_seed(0)
    return TextRecognizer(preset("tiny", num_classes=CHARSET.num_classes)).eval()


def test_teacher_forcing_outputs_every_step(model: TextRecognizer) -> None:
    images, widths = random_batch([64, 1280])  # a short word and a 1:40 line in one batch
    targets = torch.randint(1, CHARSET.num_classes, (2, 150))
    out = model(images, widths, targets)
    assert out.logits.shape == (2, 150, CHARSET.num_classes)
    assert out.attention.shape == (2, 150, 1280 // 4)
    assert out.glimpses.shape == (2, 150, model.decoder.glimpse_dim)
    sums = out.attention.sum(-1)
    assert torch.allclose(sums, torch.ones_like(sums), atol=1e-5)
    # The word's attention never lands on the padded positions past its 64 // 4 columns.
    assert out.attention[0, :, 16:].abs().max() == 0
    assert out.encoder_mask.sum(1).tolist() == [16, 320]


def test_result_does_not_depend_on_batch_width(model: TextRecognizer) -> None:
    word, w = random_batch([96], seed=3)
    alone = model.greedy(word, w, max_steps=20)
    batch, widths = random_batch([96, 700, 1200], seed=4)
    batch[0] = 0
    batch[0, :, :, :96] = word[0]
    together = model.greedy(batch, widths, max_steps=20)
    n = alone.indices.shape[1]
    assert torch.equal(alone.indices[0], together.indices[0, :n])
    assert torch.allclose(alone.steps.logits[0], together.steps.logits[0, :n], atol=1e-4)
    targets = torch.randint(1, 50, (1, 12))
    tf_alone = model(word, w, targets)
    tf_batch = model(batch, widths, targets.expand(3, -1))
    assert torch.allclose(tf_alone.logits[0], tf_batch.logits[0], atol=1e-4)
    assert torch.allclose(tf_alone.glimpses[0], tf_batch.glimpses[0], atol=1e-5)


def test_greedy_exposes_steps_and_stops_at_end(model: TextRecognizer) -> None:
    images, widths = random_batch([64, 200])
    res = model.greedy(images, widths, max_steps=30)
    s = res.indices.shape[1]
    assert res.steps.logits.shape[:2] == (2, s)
    assert res.steps.attention.shape == (2, s, 50)
    assert res.steps.glimpses.shape[:2] == (2, s)
    assert ((res.probabilities > 0) & (res.probabilities <= 1)).all()
    for row, n in zip(res.indices, res.lengths):
        if n < s:
            assert row[n] == EOS_INDEX
            assert (row[n:] == EOS_INDEX).all()
        assert (row[:n] != EOS_INDEX).all()


def test_step_cap_bounds_length_by_width(model: TextRecognizer) -> None:
    images, widths = random_batch([16])  # 4 encoder positions: at most 9 steps
    res = model.greedy(images, widths, max_steps=100)
    assert int(res.lengths[0]) <= 8


@pytest.mark.parametrize("name", ["tiny", "small", "base"])
def test_presets_build_and_train_mode_runs(name: str) -> None:
    cfg = preset(name, num_classes=CHARSET.num_classes)
    m = TextRecognizer(cfg).train()
    images, widths = random_batch([48, 80], height=cfg.height)
    out = m(images, widths, torch.randint(1, 20, (2, 5)))
    out.logits.sum().backward()
    assert all(p.grad is not None for p in m.parameters() if p.requires_grad)


def test_config_round_trip_and_strictness() -> None:
    cfg = preset("small", num_classes=10)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown model config keys"):
        ModelConfig.from_dict({**cfg.to_dict(), "bogus": 1})
    with pytest.raises(ValueError, match="multiple of 16"):
        ModelConfig(height=40)


def test_ctc_aux_head_gives_per_position_logits_and_leaves_reading_alone() -> None:
    torch.manual_seed(0)
    cfg = preset("tiny", num_classes=CHARSET.num_classes, ctc_aux=True)
    with_head = TextRecognizer(cfg).eval()
    images, widths = random_batch([64, 200])
    targets = torch.tensor([[5, 6, EOS_INDEX], [7, EOS_INDEX, -100]])
    out = with_head(images, widths, targets)
    assert out.ctc_logits is not None
    assert out.ctc_logits.shape == (2, out.attention.shape[2], CHARSET.num_classes)
    # Without the head: same weights elsewhere, same greedy reading; no CTC output.
    torch.manual_seed(0)
    plain = TextRecognizer(preset("tiny", num_classes=CHARSET.num_classes)).eval()
    state = {k: v for k, v in with_head.state_dict().items() if not k.startswith("ctc_head.")}
    plain.load_state_dict(state)
    assert plain(images, widths, targets).ctc_logits is None
    a, b = with_head.greedy(images, widths, 8), plain.greedy(images, widths, 8)
    assert torch.equal(a.indices, b.indices)
