"""The no-leakage guard: evaluation images in training data are refused, naming them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import shared_path
from training.data import (
    EvalIndex,
    LeakageError,
    TsvFolderDataset,
    check_no_leakage,
    find_evaluation_sets,
)
from training.data import leakage as lk


def _photo(seed: int, w: int = 96, h: int = 40, color: bool = False) -> np.ndarray:
    """A textured picture (smooth blobs), distinct per seed."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (5, 8, 3) if color else (5, 8), dtype=np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return cv2.putText(img, f"w{seed}", (5, h - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 2)


def _write(path: Path, img: np.ndarray, params: list[int] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img, params or [])
    return path


def _dataset(root: Path, images: dict[str, np.ndarray | Path], ext_params=None) -> Path:
    lines = []
    for name, img in images.items():
        dst = root / "images" / name
        if isinstance(img, Path):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(img, dst)
        else:
            _write(dst, img, (ext_params or {}).get(name))
        lines.append(f"images/{name}\tword\n")
    (root / "labels.tsv").write_text("".join(lines))
    return root


@pytest.fixture()
def shared(tmp_path: Path) -> Path:
    data = tmp_path / "shared" / "data"
    _dataset(data / "scene-eval", {f"{i}.png": _photo(i, color=(i == 2)) for i in range(5)},
             {f"{i}.png": [cv2.IMWRITE_PNG_COMPRESSION, 1] for i in range(5)})
    pages = data / "hw-pages"  # whole pages, a header row in labels.tsv, XML beside
    _write(pages / "images" / "page1.jpg", _photo(50, 300, 420))
    (pages / "labels.tsv").write_text("image\tgt_xml\nimages/page1.jpg\tpage/page1.xml\n")
    (pages / "page").mkdir()
    (pages / "page" / "page1.xml").write_text("<PcGts/>")
    _dataset(data / "train-words", {f"t{i}.png": _photo(100 + i) for i in range(6)})
    return data


def test_find_evaluation_sets(shared: Path) -> None:
    assert [p.name for p in find_evaluation_sets(shared)] == ["hw-pages", "scene-eval"]


def test_clean_training_set_passes(shared: Path, tmp_path: Path) -> None:
    index = EvalIndex.build(find_evaluation_sets(shared), cache_dir=tmp_path / "cache")
    assert len(index) == 6  # 5 crops + the page
    train = TsvFolderDataset(shared / "train-words", "scene")
    report = check_no_leakage([train], index, cache_dir=tmp_path / "cache")
    assert report.ok and report.n_train == 6 and not report.perceptual
    assert "0 byte-identical" in report.summary()


def test_byte_copy_and_lossless_reencode_are_refused(shared: Path, tmp_path: Path) -> None:
    index = EvalIndex.build(find_evaluation_sets(shared), cache_dir=None)
    eval_png = shared / "scene-eval" / "images" / "1.png"
    # A color eval image converted to gray with Pillow (as the training sets were made).
    gray_of_color = np.asarray(Image.open(shared / "scene-eval/images/2.png").convert("L"))
    root = _dataset(tmp_path / "train-leaky", {
        "ok.png": _photo(200),
        "copy.png": eval_png,  # byte copy
        "recompressed.png": cv2.imread(str(eval_png), cv2.IMREAD_UNCHANGED),  # other PNG level
        "page.png": cv2.imread(str(shared / "hw-pages/images/page1.jpg"), cv2.IMREAD_UNCHANGED),
    }, {"recompressed.png": [cv2.IMWRITE_PNG_COMPRESSION, 9]})
    _write(root / "images" / "gray.png", gray_of_color)  # color eval image converted to gray
    with open(root / "labels.tsv", "a") as f:
        f.write("images/gray.png\tword\n")
    assert (root / "images/recompressed.png").read_bytes() != eval_png.read_bytes()
    train = TsvFolderDataset(root, "scene")
    with pytest.raises(LeakageError) as err:
        check_no_leakage([train], index, cache_dir=None)
    msg = str(err.value)
    assert "4 training images are evaluation images" in msg
    assert "train-leaky/images/copy.png == scene-eval/images/1.png (identical bytes)" in msg
    assert "train-leaky/images/recompressed.png == scene-eval/images/1.png (identical pixels)" in msg
    assert "gray.png == scene-eval/images/2.png" in msg
    assert "page.png == hw-pages/images/page1.jpg (identical pixels)" in msg
    assert "ok.png" not in msg
    report = err.value.report
    assert len(report.exact_bytes) == 1 and len(report.exact_pixels) == 3


def test_near_duplicate_is_reported_not_refused(shared: Path, tmp_path: Path) -> None:
    index = EvalIndex.build(find_evaluation_sets(shared), cache_dir=None)
    src = cv2.imread(str(shared / "scene-eval/images/3.png"), cv2.IMREAD_GRAYSCALE)
    near = cv2.resize(src, (src.shape[1] + 4, src.shape[0] + 2))  # rescaled copy
    # Gray by OpenCV instead of Pillow: other rounding, so not pixel-identical, but near.
    cv_gray = cv2.cvtColor(cv2.imread(str(shared / "scene-eval/images/2.png")), cv2.COLOR_BGR2GRAY)
    root = _dataset(tmp_path / "train-near", {"near.jpg": near, "other.png": _photo(300),
                                              "cvgray.png": cv_gray},
                    {"near.jpg": [cv2.IMWRITE_JPEG_QUALITY, 70]})
    report = check_no_leakage([TsvFolderDataset(root, "scene")], index, cache_dir=None)
    assert report.ok
    assert sorted((t, e) for t, e, _ in report.perceptual) == [
        ("train-near/images/cvgray.png", "scene-eval/images/2.png"),
        ("train-near/images/near.jpg", "scene-eval/images/3.png")]


def test_message_lists_first_ten_and_count(shared: Path, tmp_path: Path) -> None:
    index = EvalIndex.build([shared / "scene-eval"], cache_dir=None)
    eval_png = shared / "scene-eval" / "images" / "0.png"
    root = _dataset(tmp_path / "train-many", {f"c{i:02d}.png": eval_png for i in range(13)})
    with pytest.raises(LeakageError, match=r"13 training images .* and 3 more$"):
        check_no_leakage([root], index, cache_dir=None)  # a plain folder path works too


@dataclass
class Item:
    image: np.ndarray
    text: str
    domain: str


def test_lmdb_and_in_memory_datasets_are_checked(shared: Path, tmp_path: Path) -> None:
    index = EvalIndex.build([shared / "scene-eval"], cache_dir=None)
    eval_png = shared / "scene-eval" / "images" / "4.png"
    pixels = cv2.imread(str(eval_png), cv2.IMREAD_GRAYSCALE)
    memory = [Item(_photo(400), "a", "scene"), Item(pixels, "b", "scene")]
    with pytest.raises(LeakageError, match=r"Item:1 == scene-eval/images/4.png \(identical pixels\)"):
        check_no_leakage([_Named(memory)], index, cache_dir=None)
    pytest.importorskip("lmdb")
    from training.data import LmdbDataset, write_lmdb

    write_lmdb(tmp_path / "db", [(eval_png.read_bytes(), "x"), (_photo(401), "y")])
    with pytest.raises(LeakageError, match=r"db:1 == scene-eval/images/4.png \(identical bytes\)"):
        check_no_leakage([LmdbDataset(tmp_path / "db", "scene")], index, cache_dir=None)


class _Named(list):
    name = "Item"


def test_index_is_cached_by_listing(shared: Path, tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    first = EvalIndex.build([shared / "scene-eval"], cache_dir=cache)
    assert len(list(cache.glob("eval-scene-eval-*.npz"))) == 1
    calls = []
    real = lk.hash_bytes
    monkeypatch.setattr(lk, "hash_bytes", lambda data, name: calls.append(name) or real(data, name))
    second = EvalIndex.build([shared / "scene-eval"], cache_dir=cache)
    assert calls == [] and second.table.names == first.table.names
    assert np.array_equal(second.table.pixel, first.table.pixel)
    _write(shared / "scene-eval" / "images" / "5.png", _photo(5))  # the listing changed
    third = EvalIndex.build([shared / "scene-eval"], cache_dir=cache)
    assert len(calls) == 6 and len(third) == 6


def test_real_evaluation_sets_are_found() -> None:
    data = shared_path("data")
    names = [p.name for p in find_evaluation_sets(data)]
    assert "hw-pages" in names and "scene-iiit5k" in names
    assert not any(n.startswith("train-") for n in names)


def test_guard_training_checks_a_mixed_source(shared: Path, tmp_path: Path) -> None:
    from training.data import MixComponent, MixedSource, guard_training

    clean = TsvFolderDataset(shared / "train-words", "scene")
    root = _dataset(tmp_path / "train-bad", {"x.png": shared / "scene-eval/images/0.png"})
    mix = MixedSource([MixComponent("clean", clean, 0.5),
                       MixComponent("bad", TsvFolderDataset(root, "scene"), 0.5)])
    with pytest.raises(LeakageError, match="train-bad/images/x.png == scene-eval/images/0.png"):
        guard_training([mix], shared, cache_dir=tmp_path / "cache")
    assert guard_training([clean], shared, cache_dir=tmp_path / "cache").ok
