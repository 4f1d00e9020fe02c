"""Samples -> model batches, width bucketing, DataLoader wrappers (workers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from torch.utils.data import DataLoader

from engine.charset import EOS_INDEX, Charset, UnknownCharacters
from engine.preprocess import prepare_crop
from training.data import (
    Augmenter,
    CropDataset,
    MixComponent,
    MixedSource,
    Sample,
    StreamBatches,
    TsvFolderDataset,
    WidthBucketBatchSampler,
    approx_widths,
    collate_items,
    encode_batch,
    padding_fraction,
)
from training.data.batching import bucket_batches

CHARSET = Charset()


def _img(w: int, h: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)


def test_encode_batch_shapes_and_targets() -> None:
    samples = [Sample(_img(100), "Hi", "scene", "a"),
               Sample(_img(700, 64), "a longer line", "handwriting", "b"),
               Sample(_img(40, 40), "x", "scene", "c")]
    batch = encode_batch(samples, CHARSET, model_height=32, max_width=400)
    assert batch.images.shape == (3, 1, 32, 352) and batch.images.dtype == torch.float32
    assert batch.widths.tolist() == [100, 352, 32]
    assert (batch.widths % 4 == 0).all()
    assert batch.domains.tolist() == [0, 1, 0]
    assert batch.target_lengths.tolist() == [3, 14, 2]
    assert batch.targets.shape == (3, 14) and batch.targets.dtype == torch.long
    for i, s in enumerate(samples):
        ids = CHARSET.encode(s.text)
        row = batch.targets[i].tolist()
        assert row[: len(ids)] == ids and row[len(ids)] == EOS_INDEX
        assert all(v == -100 for v in row[len(ids) + 1:])
    assert batch.texts == ["Hi", "a longer line", "x"] and batch.sources == ["a", "b", "c"]
    ref = prepare_crop(samples[0].image, 32, 400).astype(np.float32)
    assert torch.equal(batch.images[0, 0, :, :100], torch.from_numpy(ref))
    assert float(batch.images[0, 0, :, 100:].abs().sum()) == 0.0  # padding
    with pytest.raises(UnknownCharacters) as err:
        encode_batch([Sample(_img(50), "Жук", "scene", "bad-sample")], CHARSET)
    assert "bad-sample" in "".join(getattr(err.value, "__notes__", []))


def test_bucketing_reduces_padding() -> None:
    rng = np.random.default_rng(0)
    widths = np.concatenate([rng.integers(40, 260, 3000), rng.integers(300, 2400, 1000)]) // 4 * 4
    sampler = WidthBucketBatchSampler(widths, batch_size=32, chunk_batches=50, seed=1)
    bucketed = sampler.batches()
    randomly = [list(b) for b in np.array_split(rng.permutation(len(widths)), len(widths) // 32)]
    assert padding_fraction(widths, bucketed) < 0.1 < 0.5 < padding_fraction(widths, randomly)
    flat = sorted(i for b in bucketed for i in b)
    assert flat == list(range(len(widths))) and len(sampler) == len(bucketed) == 125
    assert sampler.batches() == bucketed
    sampler.set_epoch(1)
    assert sampler.batches() != bucketed
    sampler.set_epoch(1, start_batch=120)
    assert list(sampler) == sampler.batches()[120:] and len(sampler) == 5
    # The order of batches is random, not sorted by width.
    means = [widths[b].mean() for b in bucketed[:20]]
    assert means != sorted(means)
    # Chunks of 2 batches (8 items), each sorted by width.
    assert bucket_batches(np.arange(10), np.arange(10)[::-1], 4, 2, None) == [[7, 6, 5, 4], [3, 2, 1, 0],
                                                                                 [9, 8]]


@pytest.fixture()
def folder(tmp_path: Path) -> TsvFolderDataset:
    root = tmp_path / "words"
    (root / "images").mkdir(parents=True)
    rng = np.random.default_rng(0)
    lines = []
    for i in range(24):
        w, h = int(rng.integers(30, 400)), int(rng.integers(20, 70))
        img = Image.new("L", (w, h), 230)
        ImageDraw.Draw(img).text((2, 2), f"w{i}", fill=10)
        img.save(root / f"images/{i}.png")
        lines.append(f"images/{i}.png\tw{i}\n")
    (root / "labels.tsv").write_text("".join(lines))
    return TsvFolderDataset(root, "scene", CHARSET)


def test_approx_widths_match_prepared_widths(folder: TsvFolderDataset) -> None:
    approx = approx_widths(folder, 32, 1200)
    actual = [prepare_crop(folder[i].image, 32, 1200).shape[1] for i in range(len(folder))]
    assert approx.tolist() == actual


def test_dataloader_with_workers(folder: TsvFolderDataset) -> None:
    sampler = WidthBucketBatchSampler(approx_widths(folder), batch_size=5, chunk_batches=2, seed=0)
    data = CropDataset(folder, CHARSET)
    loader = DataLoader(data, batch_sampler=sampler, collate_fn=collate_items, num_workers=2)
    got = list(loader)
    assert [b.texts for b in got] == [[folder.labels[i] for i in b] for b in sampler.batches()]
    ref = collate_items([data[i] for i in sampler.batches()[0]])
    assert torch.equal(got[0].images, ref.images) and torch.equal(got[0].targets, ref.targets)
    # With augmentation: deterministic per (seed, epoch, index), in workers or not.
    aug = CropDataset(folder, CHARSET, augment=Augmenter.for_domain("scene"), seed=3)
    assert np.array_equal(aug[4].crop, aug[4].crop)


def _mix(folder: TsvFolderDataset) -> MixedSource:
    synth = [Sample(_img(int(w), 32, i), f"s{i}", "handwriting") for i, w in
             enumerate(np.random.default_rng(1).integers(100, 900, 40))]
    return MixedSource([MixComponent("real", folder, 0.3, augment=Augmenter.for_domain("scene")),
                        MixComponent("synth", synth, 0.7)], seed=4, block_size=10)


def test_stream_batches_same_with_workers_and_resume(folder: TsvFolderDataset) -> None:
    source = _mix(folder)
    stream = StreamBatches(source, CHARSET, batch_size=4, chunk_batches=5)
    it = iter(stream)
    ref = [next(it) for _ in range(8)]
    assert [b.index for b in ref] == list(range(8))
    # Every stream position of a chunk used once, batches sorted by width inside the chunk.
    used = sorted(k for g in range(5) for k in stream.batch_positions(g))
    assert used == list(range(20))
    loader = DataLoader(StreamBatches(source, CHARSET, batch_size=4, chunk_batches=5),
                        batch_size=None, num_workers=2)
    got = []
    for b in loader:
        got.append(b)
        if len(got) == 8:
            break
    assert [b.texts for b in got] == [b.texts for b in ref]
    assert all(torch.equal(a.images, b.images) for a, b in zip(got, ref))
    resumed = iter(StreamBatches(source, CHARSET, batch_size=4, chunk_batches=5, start_batch=6))
    assert [next(resumed).texts for _ in range(2)] == [b.texts for b in ref[6:8]]
    assert {t[0] for b in ref for t in b.texts} == {"w", "s"}
