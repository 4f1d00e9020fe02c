"""Paired comparison of two eval folders (training/compare.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.compare import compare, format_rows, main, pair_sets


def _write(folder: Path, sets: dict[str, tuple[str, list[tuple[str, str]]]]) -> Path:
    folder.mkdir()
    summary = {}
    for name, (domain, pairs) in sets.items():
        rows = ["key\treference\tprediction\tconfidence"]
        rows += [f"img{i}.png\t{ref}\t{hyp}\t0.9" for i, (ref, hyp) in enumerate(pairs)]
        (folder / f"{name}.predictions.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        summary[name] = {"domain": domain}
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder


def test_a_clearly_better_model_is_called_better(tmp_path):
    words = [f"word{i}" for i in range(300)]
    lines = [f"a line of text {i}" for i in range(200)]
    a = _write(tmp_path / "a", {"scene-x": ("scene", [(w, w) for w in words]),
                                "hw-x": ("handwriting", [(t, t) for t in lines])})
    b = _write(tmp_path / "b", {"scene-x": ("scene", [(w, w if i % 2 else "zz") for i, w in enumerate(words)]),
                                "hw-x": ("handwriting", [(t, t[:-3]) for t in lines])})
    rows = dict((d.label, (metric, d)) for metric, d in compare(pair_sets(a, b), resamples=300))
    metric, scene = rows["scene-x"]
    assert metric == "acc_ci" and scene.a == 1.0 and scene.b == pytest.approx(0.5)
    assert scene.high < 0  # B reads fewer words: the interval excludes zero
    metric, hw = rows["hw-x"]
    assert metric == "cer" and hw.a == 0.0 and hw.low > 0
    text = format_rows(compare(pair_sets(a, b), resamples=300), ("base", "new"))
    assert text.count("base better") == 2


def test_identical_models_show_no_difference_and_pool_by_domain(tmp_path):
    pairs = [(f"w{i}", f"w{i}" if i % 3 else "x") for i in range(90)]
    sets = {"scene-1": ("scene", pairs), "scene-2": ("scene", pairs)}
    a, b = _write(tmp_path / "a", sets), _write(tmp_path / "b", sets)
    rows = compare(pair_sets(a, b), resamples=200)
    labels = [d.label for _, d in rows]
    assert labels == ["scene-1", "scene-2", "[pooled scene]"]
    assert all(d.low == d.high == 0 for _, d in rows)
    assert "no significant difference" in format_rows(rows, ("a", "b"))


def test_mismatched_crops_are_refused_with_a_message(tmp_path, capsys):
    a = _write(tmp_path / "a", {"scene-x": ("scene", [("cat", "cat"), ("dog", "dog")])})
    b = _write(tmp_path / "b", {"scene-x": ("scene", [("cat", "cat")])})
    with pytest.raises(SystemExit) as exc:
        main([str(a), str(b)])
    assert exc.value.code == 2
    assert "different crops" in capsys.readouterr().err
