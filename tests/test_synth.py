"""Synthetic data generators: shapes, determinism, labels, modes, fonts, contact sheets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.charset import Charset
from training.synth import HandwritingGenerator, SceneTextGenerator, SynthSample
from training.synth.fonts import FontInfo, FontLibrary
from training.synth.mixed import make_generator, spec_string
from training.synth.text_source import default_text_source, handwriting_token, realistic_token

from .conftest import shared_path

CS = Charset()
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _check(sample: SynthSample, domain: str) -> None:
    assert isinstance(sample, SynthSample)
    assert sample.domain == domain
    img = sample.image
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 2
    assert img.shape[0] >= 8 and img.shape[1] >= 4
    assert img.std() > 2, "blank image"
    assert sample.text and sample.text == CS.normalize(sample.text)
    CS.encode(sample.text)  # raises UnknownCharacters if outside the charset


def test_scene_samples_shape_dtype_labels() -> None:
    gen = SceneTextGenerator(seed=0)
    for i in range(12):
        s = gen.sample(i)
        _check(s, "scene")
        assert 20 <= s.image.shape[0] <= 72


@pytest.mark.parametrize("mode", ["word", "line", "mixed"])
def test_handwriting_samples_shape_dtype_labels(mode: str) -> None:
    gen = HandwritingGenerator(seed=0, mode=mode)
    for i in range(6):
        s = gen.sample(i)
        _check(s, "handwriting")
        assert 48 <= s.image.shape[0] <= 64


def test_deterministic_in_seed_and_index() -> None:
    for make in (lambda seed: SceneTextGenerator(seed),
                 lambda seed: HandwritingGenerator(seed, mode="mixed")):
        a, b, c = make(7), make(7), make(8)
        for i in (0, 3):
            sa, sb = a.sample(i), b.sample(i)
            assert sa.text == sb.text and np.array_equal(sa.image, sb.image)
        # Out-of-order access gives the same sample (any worker can render any index).
        first = a.sample(5)
        a.sample(1)
        again = a.sample(5)
        assert np.array_equal(first.image, again.image) and first.text == again.text
        # Different indices / seeds give different images.
        imgs = [a.sample(i).image for i in range(4)]
        for i in range(4):
            for j in range(i + 1, 4):
                assert imgs[i].shape != imgs[j].shape or not np.array_equal(imgs[i], imgs[j])
        s8 = c.sample(0)
        s7 = a.sample(0)
        assert s7.image.shape != s8.image.shape or not np.array_equal(s7.image, s8.image)


def test_word_mode_single_tokens_line_mode_several_words() -> None:
    words = HandwritingGenerator(seed=1, mode="word")
    lines = HandwritingGenerator(seed=1, mode="line", max_length=160)
    for i in range(10):
        assert " " not in words.sample(i).text
    for i in range(8):
        t = lines.sample(i).text
        assert len(t.split(" ")) >= 2, t
        assert len(t) <= 160


def test_line_length_respects_max_length() -> None:
    gen = HandwritingGenerator(seed=2, mode="line", max_length=24)
    texts = [gen._text_and_font(gen.rng(i), True)[0] for i in range(60)]
    assert all(len(t) <= 24 and len(t.split(" ")) >= 2 for t in texts), texts
    # The full sample too.
    for i in range(3):
        assert len(gen.sample(i).text) <= 24


def test_mixed_mode_gives_words_and_lines() -> None:
    gen = HandwritingGenerator(seed=3, mode="mixed")
    texts = [gen._text_and_font(gen.rng(i), gen.rng(i).random() < gen.line_prob)[0]
             for i in range(40)]
    assert any(" " in t for t in texts) and any(" " not in t for t in texts)


def test_text_sources_are_encodable() -> None:
    ts = default_text_source()
    rng = np.random.default_rng(0)
    for _ in range(150):
        for t in (ts.scene_text(rng), ts.hw_word(rng), ts.hw_line(rng, 80),
                  CS.normalize(realistic_token(rng)), CS.normalize(handwriting_token(rng))):
            CS.encode(t)


def test_dejavu_only_library_works(tmp_path: Path) -> None:
    """CI may have only DejaVu: discovery, the oblique fallback and both generators work."""
    if not DEJAVU.is_dir():
        pytest.skip("DejaVu fonts not installed")
    lib = FontLibrary.discover(dirs=[DEJAVU], cache_path=tmp_path / "cov.json")
    assert lib.printed and not lib.handwriting
    assert all("DejaVu" in f.family for f in lib.fonts)
    fallback = lib.handwriting_or_fallback()
    assert fallback and all(f.oblique for f in fallback)
    assert (tmp_path / "cov.json").exists()
    again = FontLibrary.discover(dirs=[DEJAVU], cache_path=tmp_path / "cov.json")
    assert [f.path for f in again.fonts] == [f.path for f in lib.fonts]
    by_path = {f.path: f for f in lib.fonts}
    assert by_path[str(DEJAVU / "DejaVuSans.ttf")].covers("Œuvre à 12€ «ß»")
    scene = SceneTextGenerator(seed=0, fonts=lib)
    hw = HandwritingGenerator(seed=0, mode="line", fonts=lib)
    for i in range(4):
        _check(scene.sample(i), "scene")
        _check(hw.sample(i), "handwriting")


def test_caps_only_font_gets_uppercase_labels(tmp_path: Path) -> None:
    if not (DEJAVU / "DejaVuSans.ttf").exists():
        pytest.skip("DejaVu fonts not installed")
    lib = FontLibrary.discover(dirs=[DEJAVU], cache_path=tmp_path / "cov.json")
    base = next(f for f in lib.fonts if f.path.endswith("DejaVuSans.ttf"))
    caps = FontInfo(path=base.path, family="Caps", style="Regular", kind="printed",
                    covered=base.covered, caps_only=True)
    gen = SceneTextGenerator(seed=0, fonts=[caps])
    for i in range(8):
        t = gen.sample(i).text
        assert t == t.upper(), t


def test_spec_strings() -> None:
    assert spec_string("hw-line") == "handwriting:line"
    assert spec_string("scene") == "scene"
    assert spec_string("handwriting:line:max_length=80") == "handwriting:line:max_length=80"
    assert spec_string("mix:scene=1,hw-word=1") == "mix:scene=1,handwriting:word=1"
    with pytest.raises(ValueError):
        spec_string("typewriter")
    gen = make_generator("mix", 0)
    domains = {gen.parts[gen.which(i)].domain for i in range(40)}
    assert domains == {"scene", "handwriting"}
    g80 = make_generator("handwriting:line:max_length=80", 0)
    assert g80.max_length == 80 and g80.mode == "line"


def test_contact_sheet_written(tmp_path: Path) -> None:
    from training.synth.preview import write_contact_sheet
    out = write_contact_sheet(tmp_path / "sheet.png", n_per_kind=3, seed=0)
    im = np.asarray(Image.open(out).convert("L"))
    assert im.shape[0] > 200 and im.shape[1] >= 800
    assert im.std() > 20 and (im < 128).mean() > 0.01  # crops and labels drawn


def test_comparison_sheet_uses_training_sets_only(tmp_path: Path) -> None:
    from training.synth.preview import real_training_samples, write_comparison_sheet
    shared = shared_path("data", "train-hw-lines").parents[1]
    with pytest.raises(ValueError):
        real_training_samples("scene-svt", 2, shared_dir=shared)
    out = write_comparison_sheet(tmp_path / "cmp.png", n=2, shared_dir=shared)
    assert Image.open(out).size[1] > 200
