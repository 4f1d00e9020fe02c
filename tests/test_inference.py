"""The inference-only model reads exactly what the training model reads, only faster."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.charset import Charset
from engine.config import preset
from engine.inference import InferenceModel, Projection, fold_feature_batchnorms, int8_supported
from engine.model import TextRecognizer
from engine.recognizer import Recognizer
from engine.resources import default_model_path
from tests.support.batches import random_batch

CHARSET = Charset()
REPO = Path(__file__).resolve().parents[1]


def _trained_looking_model(seed: int = 0) -> TextRecognizer:
    """A tiny model whose batch norms hold non-trivial running statistics, like a trained one."""
    torch.manual_seed(seed)
    model = TextRecognizer(preset("tiny", num_classes=CHARSET.num_classes))
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)
    return model.eval()


def _sample_word_crops() -> list[np.ndarray]:
    """The hand-boxed words of the bundled sample photos (resources/samples/*.boxes.tsv)."""
    from engine.imageio import load_image

    crops = []
    for boxes in sorted((REPO / "resources" / "samples").glob("*.boxes.tsv")):
        image = load_image(boxes.with_name(boxes.name.replace(".boxes.tsv", ".jpg")))
        for line in boxes.read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                x, y, w, h = (int(v) for v in line.split("\t")[0].split(","))
                crops.append(image[y:y + h, x:x + w])
    return crops


def test_folded_batchnorms_compute_the_same_features() -> None:
    model = _trained_looking_model()
    images, widths = random_batch([40, 200, 130])
    with torch.no_grad():
        expected, lengths = model.features(images, widths)
        folded = _trained_looking_model()
        fold_feature_batchnorms(folded)
        got, folded_lengths = folded.features(images, widths)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert torch.equal(lengths, folded_lengths)
    assert torch.allclose(expected, got, atol=1e-5)


@pytest.mark.parametrize("widths", [[160], [48, 300, 700]])
def test_fused_decoder_reads_what_the_model_reads(widths: list[int]) -> None:
    model = _trained_looking_model(seed=1)
    images, w = random_batch(widths, seed=2)
    with torch.no_grad():
        expected = model.greedy(images, w, max_steps=40)
    got = InferenceModel(model).read(images, w, max_steps=40)
    assert torch.equal(got.indices, expected.indices)
    assert torch.equal(got.lengths, expected.lengths)
    assert torch.equal(got.ended_by_model, expected.ended_by_model)
    # Up to each reading's end token (or its cap); past it, positions hold nothing.
    upto = torch.arange(got.indices.shape[1])[None, :] <= got.lengths[:, None]
    assert torch.allclose(got.probabilities[upto], expected.probabilities[upto], atol=1e-5)
    assert not got.probabilities[~upto].any()
    assert got.encoder_positions.tolist() == expected.steps.encoder_mask.sum(1).tolist()


def test_inference_copy_leaves_the_model_untouched() -> None:
    model = _trained_looking_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    InferenceModel(model)
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)


@pytest.mark.skipif(not int8_supported(), reason="this PyTorch build has no quantized CPU engine")
def test_int8_projection_stays_close_to_float() -> None:
    torch.manual_seed(0)
    weight, bias = torch.randn(300, 256) * 0.05, torch.randn(300) * 0.1
    x = torch.randn(4, 256)
    exact = Projection(weight, bias, int8=False)(x)
    approx = Projection(weight, bias, int8=True)(x)
    assert approx.shape == exact.shape
    # int8 weights and activations: errors of a few percent of the output's scale, no more
    assert (approx - exact).abs().max() < 0.03 * exact.abs().max()
    assert not torch.equal(approx, exact)  # the int8 path really ran


@pytest.mark.skipif(not int8_supported(), reason="this PyTorch build has no quantized CPU engine")
def test_int8_bundled_model_reads_the_sample_words_like_float() -> None:
    path = default_model_path()
    if not path.is_file():
        pytest.skip(f"no bundled model at {path}")
    crops = _sample_word_crops()
    exact = Recognizer.load(path, device="cpu", threads=1, int8=False)
    fast = Recognizer.load(path, device="cpu", threads=1, int8=True)
    assert fast.int8 and not exact.int8
    a = [p.text for p in exact.recognize(crops, batch_size=1)]
    b = [p.text for p in fast.recognize(crops, batch_size=1)]
    same = sum(x == y for x, y in zip(a, b))
    assert same >= len(crops) - 1, list(zip(a, b))


def test_recognizer_results_match_between_batch_one_and_batched() -> None:
    model = _trained_looking_model(seed=3)
    rec = Recognizer(model, CHARSET, {}, torch.device("cpu"), int8=False)
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 255, (32, w), dtype=np.uint8) for w in (50, 180, 90)]
    one = [p.text for p in rec.recognize(crops, batch_size=1)]
    many = [p.text for p in rec.recognize(crops, batch_size=8)]
    assert one == many
