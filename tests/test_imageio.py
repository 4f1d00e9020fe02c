"""engine.imageio: every mode and format as upright uint8 RGB, and clear errors for bad files."""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from engine import imageio
from engine.imageio import (ImageLoadError, apply_orientation, count_frames, image_size,
                            load_image, load_image_downscaled, pil_to_array)

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def marked_image(w: int = 60, h: int = 40) -> Image.Image:
    """Grey image, red block at the top-left corner, blue block at the top-right."""
    im = Image.new("RGB", (w, h), (128, 128, 128))
    im.paste(RED, (0, 0, 10, 10))
    im.paste(BLUE, (w - 10, 0, w, 10))
    return im


def save_with_orientation(im: Image.Image, path: Path, orientation: int, fmt: str) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    im.save(path, fmt, exif=exif.tobytes(), **({"quality": 95} if fmt == "JPEG" else {}))


def near(pixel: np.ndarray, colour: tuple[int, int, int], tol: int = 40) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(colour)) <= tol))


# --------------------------------------------------------------------------------- orientation


@pytest.mark.parametrize("fmt,suffix", [("JPEG", "jpg"), ("PNG", "png")])
def test_exif_orientation_6_rotates_clockwise(tmp_path: Path, fmt: str, suffix: str) -> None:
    path = tmp_path / f"o6.{suffix}"
    save_with_orientation(marked_image(), path, 6, fmt)
    a = load_image(path)
    assert a.shape == (60, 40, 3) and a.dtype == np.uint8
    # Stored top-left (red) ends at the top-right after a 90-degree clockwise turn,
    # stored top-right (blue) at the bottom-right.
    assert near(a[2, 37], RED) and near(a[57, 37], BLUE)
    assert near(a[2, 2], (128, 128, 128))
    assert image_size(path) == (40, 60)


def test_exif_orientation_8_rotates_counter_clockwise(tmp_path: Path) -> None:
    path = tmp_path / "o8.jpg"
    save_with_orientation(marked_image(), path, 8, "JPEG")
    a = load_image(path)
    assert a.shape == (60, 40, 3)
    assert near(a[57, 2], RED) and near(a[2, 2], BLUE)
    assert image_size(path) == (40, 60)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_apply_orientation_matches_pil_exif_transpose(orientation: int) -> None:
    rng = np.random.default_rng(orientation)
    raw = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    im = Image.fromarray(raw)
    exif = im.getexif()
    exif[0x0112] = orientation
    im.info["exif"] = exif.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(im))
    np.testing.assert_array_equal(apply_orientation(raw, orientation), expected)


# --------------------------------------------------------------------------------------- modes


def roundtrip(tmp_path: Path, im: Image.Image, name: str, **save: object) -> np.ndarray:
    path = tmp_path / name
    im.save(path, **save)
    a = load_image(path)
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3
    assert a.shape[:2] == (im.height, im.width)
    return a


def test_mode_l_and_la(tmp_path: Path) -> None:
    a = roundtrip(tmp_path, Image.new("L", (8, 6), 77), "l.png")
    assert (a == 77).all()
    la = Image.new("LA", (8, 6), (0, 0))  # black, fully transparent -> white page
    la.paste((0, 255), (0, 0, 4, 6))  # left half black and opaque
    a = roundtrip(tmp_path, la, "la.png")
    assert (a[:, :4] == 0).all() and (a[:, 4:] == 255).all()


def test_mode_rgba_transparent_is_white_and_half_alpha_blends(tmp_path: Path) -> None:
    im = Image.new("RGBA", (10, 4), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (0, 0, 3, 4))
    im.paste((0, 0, 0, 128), (3, 0, 6, 4))
    a = roundtrip(tmp_path, im, "rgba.png")
    assert (a[:, :3] == RED).all()
    assert np.abs(a[:, 3:6].astype(int) - 127).max() <= 1  # 50 % black over white
    assert (a[:, 6:] == 255).all()


def test_mode_p_with_transparency(tmp_path: Path) -> None:
    im = Image.new("P", (6, 6), 0)
    im.putpalette([0, 200, 0] + [0, 0, 255] + [0] * (254 * 3))
    im.paste(1, (0, 0, 3, 6))
    im.info["transparency"] = 0  # palette index 0 (green) is transparent
    a = roundtrip(tmp_path, im, "p.png", transparency=0)
    assert (a[:, :3] == BLUE).all() and (a[:, 3:] == 255).all()
    b = roundtrip(tmp_path, im, "p.gif", transparency=0)
    assert (b[:, :3] == BLUE).all() and (b[:, 3:] == 255).all()
    plain = Image.new("P", (4, 4), 1)
    plain.putpalette([0, 200, 0] + [0, 0, 255] + [0] * (254 * 3))
    c = roundtrip(tmp_path, plain, "plain_p.png")
    assert (c == BLUE).all()


def test_png_rgb_with_transparent_colour(tmp_path: Path) -> None:
    im = Image.new("RGB", (4, 4), (10, 20, 30))
    im.paste(RED, (0, 0, 2, 4))
    a = roundtrip(tmp_path, im, "trns.png", transparency=(10, 20, 30))
    assert (a[:, :2] == RED).all() and (a[:, 2:] == 255).all()


def test_mode_cmyk(tmp_path: Path) -> None:
    im = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # pure red in CMYK
    a = roundtrip(tmp_path, im, "cmyk.tif")
    assert near(a[4, 4], RED, tol=2)
    b = roundtrip(tmp_path, im, "cmyk.jpg", quality=95)
    assert near(b[4, 4], RED, tol=25)


def test_mode_1_bilevel(tmp_path: Path) -> None:
    im = Image.new("1", (8, 4), 1)
    im.paste(0, (0, 0, 4, 4))
    a = roundtrip(tmp_path, im, "bilevel.png")
    assert (a[:, :4] == 0).all() and (a[:, 4:] == 255).all()
    b = roundtrip(tmp_path, im, "bilevel.tif", compression="group4")
    np.testing.assert_array_equal(a, b)


def gradient16(lo: int, hi: int, width: int = 64) -> np.ndarray:
    return np.tile(np.linspace(lo, hi, width).round().astype(np.uint16), (3, 1))


def check_gradient(a: np.ndarray) -> None:
    row = a[1, :, 0].astype(int)
    assert (np.diff(row) >= 0).all(), "16-bit gradient must stay monotonic"
    assert row[0] == 0 and row[-1] == 255  # the actual range is stretched to full contrast
    assert len(np.unique(row)) > 50  # and not posterised
    assert (a[:, :, 0] == a[:, :, 1]).all() and (a[:, :, 1] == a[:, :, 2]).all()


def test_mode_i16_full_and_12bit_range(tmp_path: Path) -> None:
    full = Image.fromarray(gradient16(0, 65535))
    assert full.mode == "I;16"
    check_gradient(roundtrip(tmp_path, full, "g16.png"))
    # 12-bit data in a 16-bit container: >> 8 would leave it near black.
    twelve = Image.fromarray(gradient16(0, 4095))
    a = roundtrip(tmp_path, twelve, "g12.tif")
    check_gradient(a)
    assert a[1, 32, 0] > 100


def test_mode_i16b_and_i_and_f(tmp_path: Path) -> None:
    values = gradient16(1000, 60000)
    big = Image.frombytes("I;16B", (64, 3), values.astype(">u2").tobytes())
    assert big.mode == "I;16B"
    check_gradient(pil_to_array(big))
    check_gradient(roundtrip(tmp_path, big, "g16b.tif"))
    as_i = Image.fromarray(values.astype(np.int32) - 30000)  # mode I, negative values too
    assert as_i.mode == "I"
    check_gradient(roundtrip(tmp_path, as_i, "gi.tif"))
    as_f = Image.fromarray(values.astype(np.float32) / 65535.0)
    assert as_f.mode == "F"
    check_gradient(roundtrip(tmp_path, as_f, "gf.tif"))


def test_flat_16bit_image() -> None:
    assert (pil_to_array(Image.fromarray(np.zeros((3, 3), np.uint16))) == 0).all()
    assert (pil_to_array(Image.fromarray(np.full((3, 3), 900, np.uint16))) == 255).all()


def test_webp_bmp_gif_roundtrip(tmp_path: Path) -> None:
    src = marked_image()
    bmp = roundtrip(tmp_path, src, "m.bmp")
    np.testing.assert_array_equal(bmp, np.asarray(src))
    webp = roundtrip(tmp_path, src, "m.webp", lossless=True)
    np.testing.assert_array_equal(webp, np.asarray(src))
    gif = roundtrip(tmp_path, src, "m.gif")
    assert near(gif[2, 2], RED, tol=10) and near(gif[2, 57], BLUE, tol=10)


# --------------------------------------------------------------------------------- multi-frame


def test_multipage_tiff_frames(tmp_path: Path) -> None:
    path = tmp_path / "pages.tif"
    pages = [Image.new("RGB", (20, 10), c) for c in (RED, (0, 255, 0), BLUE)]
    pages[1] = Image.new("L", (30, 12), 200)  # pages may differ in size and mode
    pages[0].save(path, save_all=True, append_images=pages[1:])
    assert count_frames(path) == 3
    assert (load_image(path) == RED).all()
    second = load_image(path, frame=1)
    assert second.shape == (12, 30, 3) and (second == 200).all()
    assert image_size(path, frame=1) == (30, 12)
    assert (load_image(path, frame=2) == BLUE).all()
    with pytest.raises(ImageLoadError, match=r"frame 3 out of range.*3 frame"):
        load_image(path, frame=3)
    with pytest.raises(ImageLoadError, match="out of range"):
        load_image(path, frame=-1)


def test_animated_gif_frames(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (8, 8), c) for c in (RED, BLUE)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    assert count_frames(path) == 2
    assert (load_image(path, 1) == BLUE).all()
    assert count_frames(_png(tmp_path)) == 1


def test_single_frame_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError, match="frame 1 out of range"):
        load_image(_png(tmp_path), frame=1)


# ------------------------------------------------------------------------------------- errors


def _png(tmp_path: Path, name: str = "ok.png", size: tuple[int, int] = (64, 48)) -> Path:
    path = tmp_path / name
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.png"
    with pytest.raises(ImageLoadError, match="file not found") as err:
        load_image(path)
    assert "nope.png" in str(err.value) and err.value.path == path
    with pytest.raises(ImageLoadError, match="directory"):
        load_image(tmp_path)


def test_random_bytes_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(ImageLoadError, match="noise.png.*not an image"):
        load_image(path)
    with pytest.raises(ImageLoadError, match="noise.png"):
        image_size(path)


@pytest.mark.parametrize("suffix", ["png", "jpg"])
def test_truncated_file_raises(tmp_path: Path, suffix: str) -> None:
    full = tmp_path / f"full.{suffix}"
    rng = np.random.default_rng(2)
    Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)).save(full)
    data = full.read_bytes()
    cut = tmp_path / f"cut.{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match=rf"cut\.{suffix}.*(truncated|corrupt)"):
        load_image(cut)
    with pytest.raises(ImageLoadError, match="truncated|corrupt"):
        load_image_downscaled(cut, 40)
    from PIL import ImageFile
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_pixel_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert imageio.MAX_PIXELS >= 10000 * 14000  # a large scan must load
    assert Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS >= 10000 * 14000
    path = _png(tmp_path, size=(64, 48))
    monkeypatch.setattr(imageio, "MAX_PIXELS", 64 * 48 - 1)
    with pytest.raises(ImageLoadError, match=r"ok\.png.*too large: 64x48"):
        load_image(path)
    assert image_size(path) == (64, 48)  # the size is still reported
    monkeypatch.setattr(imageio, "MAX_PIXELS", 64 * 48)
    assert load_image(path).shape == (48, 64, 3)


def png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims a size, with one tiny (wrong) IDAT: cheap to make."""
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_large_scan_header_passes_pil_guard(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    png_header_only(path, 10000, 14000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning for a 140 MP scan
        assert image_size(path) == (10000, 14000)
    huge = tmp_path / "huge.png"
    png_header_only(huge, 20000, 20000)
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(huge)


# --------------------------------------------------------------------------------- downscaled


def test_downscaled_respects_max_side(tmp_path: Path) -> None:
    src = marked_image(400, 300)
    jpg = tmp_path / "big.jpg"
    src.save(jpg, quality=95)
    small = load_image_downscaled(jpg, 100)
    assert small.shape == (75, 100, 3) and small.dtype == np.uint8
    assert near(small[1, 1], RED) and near(small[1, 98], BLUE)
    png = tmp_path / "big.png"
    src.save(png)
    assert load_image_downscaled(png, 50).shape == (38, 50, 3)
    # never upscales; orientation is applied
    assert load_image_downscaled(png, 1000).shape == (300, 400, 3)
    rotated = tmp_path / "rot.jpg"
    save_with_orientation(src, rotated, 6, "JPEG")
    r = load_image_downscaled(rotated, 80)
    assert r.shape == (80, 60, 3)
    corner = r[:2, -2:].reshape(-1, 3).mean(axis=0)  # the red marker, now at the top-right
    assert corner[0] > 150 and corner[2] < 100
    with pytest.raises(ValueError):
        load_image_downscaled(png, 0)


def test_downscaled_jpeg_uses_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A JPEG bigger than the pixel limit still previews: draft decodes at 1/8 scale."""
    jpg = tmp_path / "photo.jpg"
    Image.new("RGB", (800, 800), (30, 60, 90)).save(jpg)
    monkeypatch.setattr(imageio, "MAX_PIXELS", 200 * 200)
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(jpg)
    a = load_image_downscaled(jpg, 100)
    assert a.shape == (100, 100, 3) and near(a[50, 50], (30, 60, 90), tol=4)
