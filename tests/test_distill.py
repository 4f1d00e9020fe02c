"""The student's distillation: routing by domain, conditional weights, and learning."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from engine.charset import Charset
from engine.config import preset
from engine.model import TextRecognizer
from tests.support.tiny_model import render_word
from training.data.batching import encode_batch
from training.data.samples import Sample
from training.distill import DistillConfig, Distiller, StudentWithProjection

CS = Charset()


def _batch(texts: list[str], domain: str):
    return encode_batch([Sample(render_word(t, size=26), t, domain, t) for t in texts], CS)


class RecordingTeacher(TextRecognizer):
    """A teacher that remembers the widths of the samples it was given."""

    def __init__(self, cfg):
        super().__init__(cfg)
        self.seen: list[int] = []

    def forward(self, images, widths, targets):
        self.seen.extend(int(w) for w in widths)
        return super().forward(images, widths, targets)


def _cfg(**kw):
    return preset("tiny", num_classes=CS.num_classes, **kw)


def test_each_sample_goes_to_its_own_domains_teacher() -> None:
    torch.manual_seed(0)
    teachers = {"scene": RecordingTeacher(_cfg()), "handwriting": RecordingTeacher(_cfg())}
    distiller = Distiller(teachers, DistillConfig())
    scene = _batch(["THE", "POND"], "scene")
    hand = _batch(["a long handwritten line", "lettre"], "handwriting")
    # One mixed tensor batch: routing must follow the domain ids, not the position.
    from training.data.batching import collate_items, prepare_sample
    items = [prepare_sample(Sample(render_word(t, size=26), t, d, t), CS) for t, d in
             (("THE", "scene"), ("a long handwritten line", "handwriting"), ("POND", "scene"),
              ("lettre", "handwriting"))]
    mixed = collate_items(items)
    student = StudentWithProjection(TextRecognizer(_cfg()), {"scene": 64 * 2, "handwriting": 64 * 2})
    distiller.loss(student, mixed)
    assert sorted(teachers["scene"].seen) == sorted(int(w) for w in scene.widths)
    assert sorted(teachers["handwriting"].seen) == sorted(int(w) for w in hand.widths)
    assert all(not p.requires_grad for t in teachers.values() for p in t.parameters())
    assert all(not t.training for t in teachers.values())


def test_conditional_weights_follow_the_larger_gap() -> None:
    distiller = Distiller({}, DistillConfig(conditional_strength=5.0))
    w = distiller.update_conditional_weights({"scene": 0.90, "handwriting": 0.85},
                                             {"scene": 0.88, "handwriting": 0.55})
    assert w["w_handwriting"] > 1.0 > w["w_scene"]
    w = distiller.update_conditional_weights({"scene": 0.90, "handwriting": 0.85},
                                             {"scene": 0.60, "handwriting": 0.84})
    assert w["w_scene"] > 1.0 > w["w_handwriting"]
    off = Distiller({}, DistillConfig(conditional_strength=0.0))
    w = off.update_conditional_weights({"scene": 0.9, "handwriting": 0.9}, {"scene": 0.1, "handwriting": 0.8})
    assert w["w_scene"] == w["w_handwriting"] == 1.0


def test_student_steps_lower_the_total_loss_with_a_narrower_student() -> None:
    torch.manual_seed(0)
    teachers = {"scene": TextRecognizer(_cfg()), "handwriting": TextRecognizer(_cfg())}
    cfg = DistillConfig(conditional_strength=0.0)
    distiller = Distiller(teachers, cfg)
    student = TextRecognizer(_cfg(lstm_hidden=48))  # glimpse width 96 vs the teachers' 128
    module = StudentWithProjection(student, {d: t.decoder.glimpse_dim for d, t in teachers.items()})
    assert isinstance(module.projections["scene"].proj, torch.nn.Linear)
    batches = [_batch(["THE", "POND", "Thai"], "scene"), _batch(["une lettre", "my dear"], "handwriting")]
    opt = torch.optim.AdamW(module.parameters(), lr=3e-3)
    first = None
    for _ in range(40):
        loss, metrics = distiller.loss(module, batches)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first if first is not None else (float(loss.detach()), metrics)
    assert float(loss.detach()) < 0.6 * first[0]
    assert set(first[1]) >= {"ce", "logits", "hint", "attention", "affinity"}


def test_switched_off_terms_are_not_computed() -> None:
    torch.manual_seed(0)
    cfg = DistillConfig(w_hint=0.0, w_affinity=0.0)
    distiller = Distiller({"scene": TextRecognizer(_cfg())}, cfg)
    student = StudentWithProjection(TextRecognizer(_cfg()), {"scene": 128})
    _, metrics = distiller.loss(student, _batch(["THE"], "scene"))
    assert "hint" not in metrics and "affinity" not in metrics and "logits" in metrics
    ce_only = Distiller({}, dataclasses.replace(cfg, w_logits=0, w_attention=0))
    _, metrics = ce_only.loss(student, _batch(["THE"], "scene"))
    assert set(metrics) == {"ce", "acc"}


def test_conditional_gaps_are_bounded_scores() -> None:
    """1 - CER has no floor: a babbling student (CER 3, score -2) must not take every weight."""
    distiller = Distiller({}, DistillConfig(conditional_strength=5.0))
    babbling = distiller.update_conditional_weights({"scene": 0.8, "handwriting": 0.5},
                                                    {"scene": 0.0, "handwriting": -2.0})
    silent = distiller.update_conditional_weights({"scene": 0.8, "handwriting": 0.5},
                                                  {"scene": 0.0, "handwriting": 0.0})
    assert babbling == silent  # both "nothing right yet" on handwriting
    assert babbling["w_scene"] > babbling["w_handwriting"]  # scene has the larger gap (0.8)


def test_init_from_a_model_without_the_ctc_head(tmp_path) -> None:
    """A student with the CTC head can start from a teacher trained without it: every shared
    weight is copied, the head starts fresh; any other difference is refused."""
    from engine.checkpoint import load_model, save_model
    from training.runs import init_weights

    charset = CS
    torch.manual_seed(0)
    teacher = _cfg()
    source = TextRecognizer(teacher)
    path = tmp_path / "teacher.pt"
    save_model(path, source, charset, {})
    student = TextRecognizer(dataclasses.replace(teacher, ctc_aux=True))
    init_weights(student, path)
    loaded, _, _ = load_model(path)
    for name, value in loaded.state_dict().items():
        assert torch.equal(student.state_dict()[name], value), name
    assert student.ctc_head is not None
    wider = TextRecognizer(dataclasses.replace(teacher, lstm_hidden=teacher.lstm_hidden * 2))
    with pytest.raises(ValueError, match="lstm_hidden"):
        init_weights(wider, path)
