"""The whole path learns and reads: a tiny model trained in-session on rendered words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.checkpoint import ModelFileError
from engine.device import DeviceError
from engine.geometry import PolygonRegion, RectRegion, RotatedRectRegion
from engine.recognizer import RecognitionCancelled, Recognizer, sequence_confidence
from tests.support.tiny_model import WORDS, render_word


@pytest.fixture(scope="module")
def recognizer(tiny_model_path: Path) -> Recognizer:
    return Recognizer.load(tiny_model_path, device="cpu")


def test_reads_the_words_it_learnt(recognizer: Recognizer) -> None:
    crops = [render_word(w, size=30, pad=5) for w in WORDS]  # sizes/pads differ from training
    preds = recognizer.recognize(crops, batch_size=4)
    correct = sum(p.text == w for p, w in zip(preds, WORDS))
    assert correct >= 8, [(w, p.text) for w, p in zip(WORDS, preds)]
    for p in preds:
        assert 0 < p.confidence <= 1
        assert len(p.char_confidences) == len(p.text)
        assert all(0 < c <= 1 for c in p.char_confidences)


def test_batch_composition_does_not_change_results(recognizer: Recognizer) -> None:
    crops = [render_word(w, size=28) for w in WORDS]
    crops.append(np.tile(render_word("letter will Paris"), (1, 3)))  # a wide crop in the batch
    one_by_one = [recognizer.recognize([c])[0] for c in crops]
    batched = recognizer.recognize(crops, batch_size=32)
    for a, b in zip(one_by_one, batched):
        assert a.text == b.text
        assert abs(a.confidence - b.confidence) < 1e-3


def _page_with(word: str) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    crop = render_word(word, size=30)
    page = np.full((200, 400, 3), 235, np.uint8)
    y, x = 60, 90
    page[y:y + crop.shape[0], x:x + crop.shape[1]] = crop[:, :, None]
    return page, (x, y, crop.shape[1], crop.shape[0])


def test_reads_regions_of_every_kind(recognizer: Recognizer) -> None:
    page, (x, y, w, h) = _page_with("Paris")
    rect = RectRegion(x, y, w, h)
    rotated = RotatedRectRegion(x + w / 2, y + h / 2, w, h, 0.0)
    poly = PolygonRegion(((x, y), (x + w, y), (x + w, y + h), (x, y + h)))
    outside = RectRegion(1000, 1000, 50, 20)
    results = recognizer.recognize_regions(page, [rect, rotated, poly, outside])
    assert [r.text for r in results[:3]] == ["Paris"] * 3
    assert isinstance(results[3], ValueError) and "outside" in str(results[3])


def test_vertical_text_is_read_in_the_better_orientation(recognizer: Recognizer) -> None:
    crop = render_word("letter", size=30)
    page = np.full((300, 120, 3), 235, np.uint8)
    turned = np.rot90(crop)  # text running bottom-to-top
    page[20:20 + turned.shape[0], 30:30 + turned.shape[1]] = turned[:, :, None]
    region = RectRegion(30, 20, turned.shape[1], turned.shape[0])
    assert recognizer.recognize_regions(page, [region])[0].text == "letter"


def test_progress_and_cancel(recognizer: Recognizer) -> None:
    crops = [render_word(w) for w in WORDS]
    seen: list[tuple[int, int]] = []
    recognizer.recognize(crops, batch_size=3, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(crops), len(crops)) and len(seen) == 4
    with pytest.raises(RecognitionCancelled):
        recognizer.recognize(crops, batch_size=3, should_cancel=lambda: True)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such file"):
        Recognizer.load(tmp_path / "missing.pt", device="cpu")
    with pytest.raises(DeviceError):
        Recognizer.load(tmp_path / "missing.pt", device="quantum")


def test_sequence_confidence_is_length_normalised() -> None:
    short = sequence_confidence([0.9] * 3, 0.9)
    long = sequence_confidence([0.9] * 60, 0.9)
    assert abs(short - long) < 1e-9 and abs(short - 0.9) < 1e-9
