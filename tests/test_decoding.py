"""The runaway guard: a reading that loops until a length cap is cut back to its first copy
and flagged doubtful; a reading the model ended itself is never touched."""

from __future__ import annotations

import numpy as np
import torch

from engine.charset import EOS_INDEX, Charset
from engine.config import preset
from engine.decoding import loop_free_length, ran_away
from engine.inference import Reading
from engine.model import TextRecognizer
from engine.recognizer import Recognizer

CHARSET = Charset()


def codes(text: str) -> list[int]:
    return CHARSET.encode(text)


def cut(text: str) -> str:
    return CHARSET.decode(codes(text)[:loop_free_length(codes(text))])


def test_a_looping_tail_is_cut_back_to_its_first_copy() -> None:
    assert cut("Ca me la lo la la la la la la") == "Ca me la lo la"
    assert cut("Vinchen the mon to le le de le le le le le le l") == "Vinchen the mon to le le de l"
    assert cut("No 2915 2915 2915 2915 29") == "No 2915"
    assert cut("Hooooooooooooo") == "Ho"


def test_text_without_a_long_enough_loop_is_kept_whole() -> None:
    for text in ("the quick brown fox", "de la de la", "Mississippi", "aaa", "", "ab ab ab"[:5]):
        assert cut(text) == text


def test_the_guard_only_acts_where_the_model_did_not_end_the_reading() -> None:
    assert not ran_away(12, encoder_positions=40, ended_by_model=True)
    assert ran_away(12, encoder_positions=40, ended_by_model=False)  # a length cap stopped it
    assert ran_away(50, encoder_positions=40, ended_by_model=True)  # more characters than columns


def _recognizer_reading(text: str, ended_by_model: bool) -> Recognizer:
    """A recognizer whose reader is replaced by one fixed reading of ``text``."""
    model = TextRecognizer(preset("tiny", num_classes=CHARSET.num_classes))
    row = codes(text) + ([EOS_INDEX] if ended_by_model else [])
    recognizer = Recognizer(model, CHARSET, {}, torch.device("cpu"), int8=False)

    def read(images: torch.Tensor, widths: torch.Tensor, max_steps: int | None = None) -> Reading:
        b = images.shape[0]
        return Reading(torch.tensor([row] * b), torch.full((b, len(row)), 0.9),
                       torch.full((b,), len(text)), torch.full((b,), ended_by_model),
                       torch.full((b,), 80))

    recognizer.reader.read = read  # type: ignore[method-assign]
    return recognizer


def test_recognizer_cuts_a_runaway_and_marks_it_doubtful() -> None:
    crop = np.full((32, 120), 255, np.uint8)
    looping = "de la de la de la de la de la de la de l"
    pred = _recognizer_reading(looping, ended_by_model=False).recognize([crop])[0]
    assert pred.text == "de la"
    assert len(pred.char_confidences) == len(pred.text)
    assert pred.confidence < 0.1  # the model never ended it

    ended = _recognizer_reading(looping, ended_by_model=True).recognize([crop])[0]
    assert ended.text == looping
    assert ended.confidence > 0.8

    raw = _recognizer_reading(looping, ended_by_model=False)
    raw.trim_runaways = False
    assert raw.recognize([crop])[0].text == looping


def test_greedy_reports_which_readings_the_model_ended() -> None:
    torch.manual_seed(0)
    model = TextRecognizer(preset("tiny", num_classes=CHARSET.num_classes)).eval()
    images = torch.rand(3, 1, model.config.height, 96) * 2 - 1
    widths = torch.tensor([96, 64, 32])
    with torch.inference_mode():
        res = model.greedy(images, widths, max_steps=6)
    assert res.ended_by_model is not None
    positions = res.steps.encoder_mask.sum(1)
    for row, n, ended, pos in zip(res.indices, res.lengths, res.ended_by_model, positions):
        if bool(ended):
            assert int(n) < row.shape[0] and int(row[int(n)]) == EOS_INDEX
        else:  # stopped by the cap: twice its encoder positions, at most max_steps characters
            assert int(n) == min(2 * int(pos), 6)
