"""Character confusions: the edits of a minimum alignment, tallied as (reference, read as)."""

from __future__ import annotations

from collections import Counter

from training.confusions import align_edits, confusions_report, count_confusions, format_confusions
from training.evaluate import SetResult
from training.metrics import ScoreCard, edit_distance


def test_alignment_names_each_edit_once() -> None:
    assert align_edits("house", "house") == []
    assert align_edits("house", "hoose") == [("u", "o")]
    assert align_edits("house", "hose") == [("u", "")]
    assert align_edits("hose", "house") == [("", "u")]
    assert align_edits("", "ab") == [("", "a"), ("", "b")]
    assert align_edits("ab", "") == [("a", ""), ("b", "")]


def test_edit_count_is_the_edit_distance() -> None:
    pairs = [("Wednesday morning", "Wednsday moming"), ("Kew", "Kow."), ("1850", "185O"),
             ("à Paris", "a Pans")]
    for ref, hyp in pairs:
        assert len(align_edits(ref, hyp)) == edit_distance(ref, hyp)


def test_counts_collapse_whitespace_like_the_cer() -> None:
    counts = count_confusions([("a  b", "a b"), ("cat ", "cot"), ("dog", "do"), ("at", "a t")])
    assert counts == Counter({("a", "o"): 1, ("g", ""): 1, ("", " "): 1})


def test_report_pools_by_domain_and_ranks_by_count() -> None:
    scene = SetResult("scene-svt", "scene", ScoreCard(), 1.0,
                      [("a", "HOTEL", "H0TEL", 0.9), ("b", "OPEN", "0PEN", 0.8)])
    hand = SetResult("hw-hooker-lines", "handwriting", ScoreCard(), 1.0,
                     [("c", "my dear", "my dcar", 0.5)])
    report = confusions_report([scene, hand], top=5)
    assert report.index("### handwriting sets: 1 character edits") < report.index("### scene sets")
    assert "| `O` | `0` | 2 | 100.0% |" in report
    assert "| `e` | `c` | 1 | 100.0% |" in report
    table = format_confusions("t", Counter({(" ", ""): 3, ("", "x"): 1}), 1)
    assert "| (space) | (none) | 3 | 75.0% |" in table and "`x`" not in table


def test_eval_command_writes_table_predictions_sheet_and_confusions(
        tiny_model_path, tmp_path, capsys) -> None:
    from tests.test_ablation import LINES, WORDS, _folder
    from training.cli import eval_main

    words = _folder(tmp_path, "scene-words", WORDS, 1)
    lines = _folder(tmp_path, "hw-lines", LINES, 1)
    out = tmp_path / "eval"
    assert eval_main([str(words), str(lines), "--model", str(tiny_model_path), "--device", "cpu",
                      "--out", str(out), "--sheet", str(tmp_path / "worst.png"),
                      "--confusions", "3"]) == 0
    printed = capsys.readouterr().out
    assert "[pooled]" in printed and "scene-words" in printed and "hw-lines" in printed
    assert (out / "scene-words.predictions.tsv").is_file() and (out / "summary.json").is_file()
    assert (tmp_path / "worst.png").is_file()
    report = (out / "confusions.md").read_text(encoding="utf-8")
    # The tiny model cannot read handwriting lines: there are edits to report there.
    assert "### handwriting sets:" in report and report in printed


def test_eval_command_says_which_decoder_weights_it_read_with(tiny_model_path, tmp_path,
                                                              capsys) -> None:
    from engine.inference import int8_supported
    from tests.test_ablation import WORDS, _folder
    from training.cli import eval_main

    words = _folder(tmp_path, "scene-words", WORDS, 1)
    common = [str(words), "--model", str(tiny_model_path), "--device", "cpu", "--threads", "1"]
    assert eval_main([*common, "--no-int8"]) == 0
    assert "int8" not in capsys.readouterr().out
    assert eval_main(common) == 0
    assert ("int8 decoder weights" in capsys.readouterr().out) == int8_supported()
