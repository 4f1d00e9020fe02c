"""On-disk synthetic cache: round trip, resume, mismatch, fork safety, datasets, speed."""

from __future__ import annotations

import multiprocessing as mp
import pickle
from pathlib import Path

import numpy as np
import pytest

from training.cache import (CachedSynthDataset, OnTheFlyDataset, measure_cache_read,
                            measure_generators, render_cache, shard_name)
from training.synth.mixed import make_generator

SPEC = "mix"


def _same(a, b) -> bool:
    return a.text == b.text and a.domain == b.domain and np.array_equal(a.image, b.image)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cache")
    res = render_cache(out, SPEC, n=12, seed=1, workers=1, shard_size=5, progress=False)
    assert res["rendered_shards"] == 3 and res["skipped_shards"] == 0
    return out


def test_round_trip_equals_direct_rendering(cache_dir: Path) -> None:
    ds = CachedSynthDataset(cache_dir)
    gen = make_generator(SPEC, 1)
    assert len(ds) == 12
    for i in range(12):
        assert _same(ds[i], gen.sample(i)), i
    assert _same(ds[-1], gen.sample(11))
    with pytest.raises(IndexError):
        ds[12]
    assert {ds[i].domain for i in range(12)} <= {"scene", "handwriting"}


def test_resume_skips_finished_shards(tmp_path: Path) -> None:
    out = tmp_path / "c"
    render_cache(out, "scene", n=9, seed=2, workers=1, shard_size=3, progress=False)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("shard-0000[02]*")}
    for p in out.glob(shard_name(1) + ".*"):
        if p.name.endswith(".idx.npy"):
            p.unlink()  # an interrupted shard: its index (written last) is missing
    with pytest.raises(ValueError):
        CachedSynthDataset(out)
    partial = CachedSynthDataset(out, strict=False)
    assert len(partial) == 6 and partial.global_index(3) == 6
    res = render_cache(out, "scene", n=9, seed=2, workers=1, shard_size=3, progress=False)
    assert res["rendered_shards"] == 1 and res["skipped_shards"] == 2
    assert stamps == {p.name: p.stat().st_mtime_ns for p in out.glob("shard-0000[02]*")}
    gen = make_generator("scene", 2)
    ds = CachedSynthDataset(out)
    assert all(_same(ds[i], gen.sample(i)) for i in (3, 4, 5))
    # Growing n renders only the new / resized shards.
    res = render_cache(out, "scene", n=10, seed=2, workers=1, shard_size=3, progress=False)
    assert res["rendered_shards"] == 1 and res["skipped_shards"] == 3
    assert _same(CachedSynthDataset(out)[9], gen.sample(9))


def test_other_spec_or_seed_is_refused(cache_dir: Path) -> None:
    with pytest.raises(ValueError):
        render_cache(cache_dir, "scene", n=12, seed=1, shard_size=5, progress=False)
    with pytest.raises(ValueError):
        render_cache(cache_dir, SPEC, n=12, seed=2, shard_size=5, progress=False)


def test_workers_give_the_same_content(tmp_path: Path) -> None:
    out = tmp_path / "w"
    res = render_cache(out, "handwriting:word", n=4, seed=5, workers=2, shard_size=2,
                       progress=False)
    assert res["rendered_shards"] == 2
    gen = make_generator("handwriting:word", 5)
    ds = CachedSynthDataset(out)
    assert all(_same(ds[i], gen.sample(i)) for i in range(4))


_DS = None


def _read(i: int):
    s = _DS[i]
    return s.text, s.image.tobytes(), s.image.shape


def test_dataset_is_fork_safe(cache_dir: Path) -> None:
    global _DS
    _DS = CachedSynthDataset(cache_dir)
    parent = [_DS[i] for i in range(4)]  # opens memmaps in the parent before forking
    with mp.get_context("fork").Pool(2) as pool:
        got = pool.map(_read, range(4))
    for s, (text, data, shape) in zip(parent, got):
        assert s.text == text and s.image.shape == shape and s.image.tobytes() == data
    clone = pickle.loads(pickle.dumps(_DS))  # spawn-style transfer
    assert _same(clone[2], parent[2])


def test_on_the_fly_dataset() -> None:
    gen = make_generator("scene", 4)
    ds = OnTheFlyDataset(gen, 5)
    assert len(ds) == 5 and _same(ds[3], gen.sample(3))
    with pytest.raises(IndexError):
        ds[5]
    lazy = OnTheFlyDataset.from_spec("scene", 4, 5)
    clone = pickle.loads(pickle.dumps(lazy))
    assert clone._generator is None and _same(clone[3], gen.sample(3))


def test_measurements_run(cache_dir: Path) -> None:
    rates = measure_generators(n=2, specs=("scene",), verbose=False)
    assert rates["scene"] > 0
    assert measure_cache_read(cache_dir, n=10, verbose=False) > 0


def test_image_size_reads_png_headers(tmp_path):
    from training.cache import CachedSynthDataset, render_cache
    render_cache(tmp_path / "c", "scene", 12, seed=1, workers=1, shard_size=5, progress=False)
    ds = CachedSynthDataset(tmp_path / "c")
    for i in range(len(ds)):
        h, w = ds[i].image.shape[:2]
        assert ds.image_size(i) == (w, h)


def test_meta_keeps_the_fingerprint_the_shards_were_rendered_with(tmp_path: Path, monkeypatch) -> None:
    import json

    import training.cache

    out = tmp_path / "c"
    monkeypatch.setattr(training.cache, "asset_fingerprint", lambda: {"fonts": "a", "text": "t"})
    render_cache(out, "handwriting:word", n=2, seed=1, shard_size=2, progress=False)
    monkeypatch.setattr(training.cache, "asset_fingerprint", lambda: {"fonts": "b", "text": "t"})
    render_cache(out, "handwriting:word", n=4, seed=1, shard_size=2, progress=False)
    assert json.loads((out / "meta.json").read_text())["assets"]["fonts"] == "a"
