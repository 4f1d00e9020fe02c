"""Loaders (labels.tsv folders, LMDB), augmentation, the mixed stream and held-out splits."""

from __future__ import annotations

import io
import multiprocessing
import pickle
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from engine.charset import Charset
from tests.conftest import shared_path
from training.data import (
    AUGMENT_PRESETS,
    Augmenter,
    CorruptImageError,
    IndexSubset,
    LabelFormatError,
    MixComponent,
    MixedSource,
    TsvFolderDataset,
    augment,
    held_out_split,
    nested_weights,
)
from training.data.augment import _geometry_transform, pad_crop


def render(text: str, width: int = 120, height: int = 32, mode: str = "L") -> Image.Image:
    img = Image.new("L", (width, height), 235)
    ImageDraw.Draw(img).text((4, height // 4), text, fill=20)
    return img.convert(mode)


def make_folder(root: Path, rows: list[tuple[str, Image.Image | bytes | None, str]],
                labels: str | None = None, meta: str | None = None) -> Path:
    (root / "images").mkdir(parents=True, exist_ok=True)
    for rel, img, _ in rows:
        if isinstance(img, Image.Image):
            img.save(root / rel)
        elif isinstance(img, bytes):
            (root / rel).write_bytes(img)
    if labels is None:
        labels = "".join(f"{rel}\t{text}\n" for rel, _, text in rows)
    (root / "labels.tsv").write_text(labels, encoding="utf-8")
    if meta is not None:
        (root / "meta.tsv").write_text(meta, encoding="utf-8")
    return root


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    rows = [
        ("images/a.png", render("Hello"), "Hello"),
        ("images/b.jpg", render("world", mode="RGB"), "world"),
        ("images/c.png", render("Zürich", mode="RGBA"), "Zu\u0308rich"),  # NFD label -> NFC
        ("images/d.png", render("Жук"), "Жук"),  # Cyrillic: not in the charset
        ("images/e.png", render("x" * 20), "x" * 20),  # too long for max_length=10
        ("images/f.png", render("ψ ok"), "ψψ ok"),
    ]
    return make_folder(tmp_path / "set", rows)


def test_folder_loads_images_and_texts(folder: Path) -> None:
    ds = TsvFolderDataset(folder, "scene", Charset(), max_length=10)
    assert len(ds) == 3
    assert ds.labels == ["Hello", "world", "Zürich"]
    assert [p.name for p in ds.paths] == ["a.png", "b.jpg", "c.png"]
    s = ds[0]
    assert s.image.dtype == np.uint8 and s.image.shape == (32, 120)
    assert np.array_equal(s.image, np.asarray(Image.open(folder / "images/a.png")))
    assert s.domain == "scene" and s.source == "set:images/a.png"
    assert ds[1].image.ndim == 2 and ds[2].image.ndim == 2  # RGB and RGBA -> gray
    assert ds.image_size(2) == (120, 32)
    # Skips are counted per reason, with the unknown characters and their counts.
    assert ds.skipped["unknown_characters"] == 2 and ds.skipped["too_long"] == 1
    assert ds.skipped.unknown_characters == {"Ж": 1, "у": 1, "к": 1, "ψ": 2}
    assert "images/d.png" in ds.skipped.examples["unknown_characters"]
    assert "U+0416" in ds.skipped.summary()
    assert len(ds.all_paths) == 6


def test_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    rows = [("images/a.png", render("ab"), "ab"), ("images/b.png", render("cd"), "cd")]
    labels = "\ufeffimages/a.png\tab\r\n\r\n   \nimages/b.png\t  cd  \r\n"
    ds = TsvFolderDataset(make_folder(tmp_path / "s", rows, labels), "handwriting")
    assert ds.labels == ["ab", "cd"]


def test_tab_inside_label_is_an_error_with_line_number(tmp_path: Path) -> None:
    rows = [("images/a.png", render("a"), "a"), ("images/b.png", render("b"), "b")]
    labels = "images/a.png\ta\n\nimages/b.png\tb\tc\n"
    with pytest.raises(LabelFormatError, match=r"labels.tsv:3: tab inside the text"):
        TsvFolderDataset(make_folder(tmp_path / "s", rows, labels), "scene")
    (tmp_path / "s" / "labels.tsv").write_text("images/a.png a\n")
    with pytest.raises(LabelFormatError, match=r":1: no tab"):
        TsvFolderDataset(tmp_path / "s", "scene")


def test_corrupt_image_raises_naming_the_file_or_is_skipped(tmp_path: Path) -> None:
    rows = [("images/a.png", render("a"), "a"), ("images/bad.jpg", b"\xff\xd8 not a jpeg", "bad"),
            ("images/c.png", render("c"), "c")]
    root = make_folder(tmp_path / "s", rows)
    ds = TsvFolderDataset(root, "scene")
    with pytest.raises(CorruptImageError, match="bad.jpg"):
        ds[1]
    ds = TsvFolderDataset(root, "scene", on_corrupt="skip")
    assert ds[1].text == "c"  # the next sample is served instead
    assert ds.skipped["corrupt_image"] == 1
    ds = TsvFolderDataset(root, "scene", on_corrupt="skip")
    assert ds.verify() == 1 and ds.labels == ["a", "c"]
    # A listed file that does not exist: an error at construction (or counted in skip mode).
    (root / "images/c.png").unlink()
    with pytest.raises(CorruptImageError, match=r"images/c.png \(line 3\)"):
        TsvFolderDataset(root, "scene")
    assert TsvFolderDataset(root, "scene", on_corrupt="skip").skipped["missing_image"] == 1


def test_exif_orientation_and_16_bit(tmp_path: Path) -> None:
    img = render("rot", 60, 20, "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    deep = Image.fromarray((np.arange(40 * 30).reshape(30, 40) * 50).astype(np.uint16))
    rows = [("images/r.jpg", buf.getvalue(), "rot"), ("images/d.png", deep, "deep")]
    ds = TsvFolderDataset(make_folder(tmp_path / "s", rows), "scene")
    assert ds[0].image.shape == (60, 20)
    assert ds.image_size(0) == (20, 60)
    d = ds[1].image
    assert d.dtype == np.uint8 and d.shape == (30, 40) and d.max() > 200


def test_meta_filter_and_groups(tmp_path: Path) -> None:
    rows = [(f"images/src__p{i}__l{i}.png", render(f"w{i}"), f"w{i}") for i in range(4)]
    meta = "file\tsource_set\tdoc_id\n" + "".join(
        f"{rel}\t{'bd' if i == 3 else 'real'}\tdoc{i // 2}\n" for i, (rel, _, _) in enumerate(rows))
    root = make_folder(tmp_path / "s", rows, meta=meta)
    ds = TsvFolderDataset(root, "handwriting", where=lambda r: r["source_set"] != "bd")
    assert len(ds) == 3 and ds.skipped["filtered"] == 1
    assert ds.groups == ["src/doc0", "src/doc0", "src/doc1"]
    (root / "meta.tsv").unlink()
    assert TsvFolderDataset(root, "handwriting").groups == [f"src__p{i}" for i in range(4)]


# --- LMDB ----------------------------------------------------------------------------------

def _read_first(ds) -> str:
    return ds[0].text


def test_lmdb_round_trip(tmp_path: Path, folder: Path) -> None:
    pytest.importorskip("lmdb")
    from training.data import LmdbDataset, tsv_to_lmdb, write_lmdb

    images = [np.asarray(render(t)) for t in ("one", "two", "Жук")]
    n = write_lmdb(tmp_path / "db", [(images[0], "one"), (images[1], "two"), (images[2], "Жук")])
    assert n == 3
    ds = LmdbDataset(tmp_path / "db", "scene")
    assert len(ds) == 2 and ds.labels == ["one", "two"]
    assert ds.skipped["unknown_characters"] == 1 and ds.skipped.unknown_characters["Ж"] == 1
    assert np.array_equal(ds[1].image, images[1])  # PNG: lossless
    assert ds.image_size(0) == (120, 32)
    # Pickling (DataLoader workers) drops the open environment; a forked child opens its own.
    ds2 = pickle.loads(pickle.dumps(ds))
    assert ds2._env is None and ds2[0].text == "one"
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_read_first, (ds,)) == "one"
    # A folder converted: file bytes kept unchanged, same filtering when read.
    assert tsv_to_lmdb(folder, tmp_path / "db2") == 6
    db = LmdbDataset(tmp_path / "db2", "scene", max_length=10)
    ref = TsvFolderDataset(folder, "scene", max_length=10)
    assert db.labels == ref.labels and dict(db.skipped.counts) == dict(ref.skipped.counts)
    assert db.raw_image(1) == (folder / "images/b.jpg").read_bytes()
    assert np.array_equal(db[1].image, ref[1].image)


# --- augmentation --------------------------------------------------------------------------

def test_augment_is_deterministic_and_valid() -> None:
    img = np.asarray(render("Deterministic", 160, 32))
    for domain in ("scene", "handwriting"):
        outs = [augment(img, np.random.default_rng(7), domain) for _ in range(2)]
        assert np.array_equal(outs[0], outs[1])
        for seed in range(30):
            out = Augmenter.for_domain(domain)(img, np.random.default_rng(seed))
            assert out.dtype == np.uint8 and out.ndim == 2 and min(out.shape) >= 2
    others = [augment(img, np.random.default_rng(s), "scene") for s in range(5)]
    assert any(not np.array_equal(others[0], o) for o in others[1:])
    assert AUGMENT_PRESETS["handwriting"].p_invert == 0 and AUGMENT_PRESETS["scene"].p_invert > 0


def test_geometry_keeps_the_whole_crop_and_crops_few_pixels() -> None:
    rng = np.random.default_rng(0)
    for domain, (h, w) in [("handwriting", (64, 2500)), ("scene", (40, 90))]:
        cfg = AUGMENT_PRESETS[domain]
        for _ in range(200):
            m, out_w, out_h = _geometry_transform(h, w, rng, cfg)
            corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32).reshape(-1, 1, 2)
            mapped = cv2.perspectiveTransform(corners, m).reshape(-1, 2)
            assert mapped.min() >= -0.01
            assert (mapped[:, 0] <= out_w + 0.01).all() and (mapped[:, 1] <= out_h + 0.01).all()
            if domain == "handwriting":
                assert out_h <= h * 1.6  # a long line is barely rotated
    # Horizontal cropping: never more than crop_x_px columns per side.
    ramp = np.tile(np.arange(200, dtype=np.uint8), (30, 1))
    for seed in range(200):
        out = pad_crop(ramp, np.random.default_rng(seed), AUGMENT_PRESETS["handwriting"])
        assert out[0].min() <= 1 and out[0].max() >= 198


# --- mixing --------------------------------------------------------------------------------

@dataclass
class FakeSample:
    image: np.ndarray
    text: str
    domain: str


class FakeSet:
    def __init__(self, name: str, n: int, domain: str = "scene"):
        self.items = [FakeSample(np.full((8, 8 + i), i % 256, np.uint8), f"{name}{i}", domain)
                      for i in range(n)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> FakeSample:
        return self.items[i]


def _mix(seed: int = 1, augment_real: bool = True) -> MixedSource:
    aug = Augmenter.for_domain("scene") if augment_real else None
    return MixedSource([MixComponent("real", FakeSet("r", 37), 0.3, augment=aug),
                        MixComponent("synth", FakeSet("s", 500), 0.7)], seed=seed, block_size=100)


def test_mixed_source_ratios_and_epochs() -> None:
    src = _mix()
    names = [src.component_of(k) for k in range(2000)]
    assert names.count("real") == 600 and names.count("synth") == 1400  # exact per block
    texts = [s.text for s in src.take(2000)]
    real = [t for t in texts if t.startswith("r")]
    # Every real item once per epoch (37 items), reshuffled between epochs.
    assert sorted(real[:37]) == sorted(f"r{i}" for i in range(37))
    assert sorted(real[37:74]) == sorted(real[:37]) and real[37:74] != real[:37]
    # Unequal blocks too: approximate over 2,000 draws with a random-looking weight.
    src = MixedSource([MixComponent("a", FakeSet("a", 5), 0.123), MixComponent("b", FakeSet("b", 5), 0.877)],
                      seed=3)
    share = sum(src.component_of(k) == "a" for k in range(2000)) / 2000
    assert abs(share - 0.123) < 0.01
    assert nested_weights({"scene": 1, "handwriting": 1}, {"scene": {"real": 0.3, "synth": 0.7}}) == \
        pytest.approx({"scene/real": 0.15, "scene/synth": 0.35, "handwriting": 0.5})


def test_mixed_source_is_deterministic_and_resumes_exactly() -> None:
    def key(s):
        return s.text, s.source, s.image.shape, s.image.tobytes()

    a = [key(s) for s in _mix(seed=5).take(300)]
    b = [key(s) for s in _mix(seed=5).take(300)]
    assert a == b
    assert a != [key(s) for s in _mix(seed=6).take(300)]
    src = _mix(seed=5)
    src.take(137)
    state = src.state_dict()
    rest = [key(s) for s in src.take(163)]
    resumed = _mix(seed=99)
    resumed.load_state_dict(pickle.loads(pickle.dumps(state)))
    assert [key(s) for s in resumed.take(163)] == rest == a[137:]
    other = MixedSource([MixComponent("real", FakeSet("r", 36), 0.3),
                         MixComponent("synth", FakeSet("s", 500), 0.7)], block_size=100)
    with pytest.raises(ValueError, match="lengths"):
        other.load_state_dict(state)


def test_held_out_split_grouped_by_document_and_random(tmp_path: Path) -> None:
    rows, meta = [], "file\tdoc_id\n"
    for i in range(60):
        rel = f"images/src__page{i // 3}__l{i}.png"
        rows.append((rel, b"", f"t{i}"))
        meta += f"{rel}\tdoc{i % 12}\n"
    ds = TsvFolderDataset(make_folder(tmp_path / "hw", rows, meta=meta), "handwriting", check_files=False)
    train, val = held_out_split(ds, 12, seed=0)
    assert not set(train) & set(val) and sorted(train + val) == list(range(60))
    groups = ds.groups
    assert len(val) >= 12
    assert not {groups[i] for i in train} & {groups[i] for i in val}
    assert held_out_split(ds, 12, seed=0) == (train, val)
    assert held_out_split(ds, 12, seed=1)[1] != val
    sub = IndexSubset(ds, train)
    assert len(sub) == len(train) and set(sub.groups) == {groups[i] for i in train}
    tr, va = held_out_split(ds, 7, seed=0, by="random")
    assert len(va) == 7 and not set(tr) & set(va)


# --- the real training sets ----------------------------------------------------------------

@pytest.mark.parametrize("name,domain", [("train-hw-lines", "handwriting"), ("train-scene-words", "scene")])
def test_real_training_sets_load_with_the_charset(name: str, domain: str) -> None:
    root = shared_path("data", name)
    charset = Charset()
    ds = TsvFolderDataset(root, domain, charset)
    print(f"{name}: {len(ds)} kept; {ds.skipped.summary()}")
    assert len(ds) > 0.9 * len(ds.all_paths)
    assert len(ds) + ds.skipped.total == len(ds.all_paths)
    for i in np.random.default_rng(0).choice(len(ds), 5, replace=False):
        s = ds[int(i)]
        assert s.image.dtype == np.uint8 and s.image.ndim == 2 and s.text
        charset.encode(s.text)
    if domain == "handwriting":
        assert ds.skipped["unknown_characters"] > 0 and ds.groups is not None
