"""Model files: round trip, and every kind of bad file gives a clear error naming it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from engine.charset import Charset
from engine.checkpoint import FORMAT_VERSION, ModelFileError, load_model, read_model_file, save_model
from engine.config import preset
from engine.model import TextRecognizer

CS = Charset()


def _model(seed: int = 0) -> TextRecognizer:
    torch.manual_seed(seed)
    return TextRecognizer(preset("tiny", num_classes=CS.num_classes)).eval()


@pytest.mark.parametrize("half", [True, False])
def test_round_trip(tmp_path: Path, half: bool) -> None:
    model = _model()
    path = tmp_path / "m.pt"
    save_model(path, model, CS, {"trained_steps": 12, "domains": ["scene"]}, half=half)
    loaded, charset, meta = load_model(path)
    assert charset == CS and meta["trained_steps"] == 12 and meta["domains"] == ["scene"]
    assert loaded.config == model.config
    images = torch.rand(1, 1, 32, 64) * 2 - 1
    tg = torch.randint(1, 20, (1, 6))
    a, b = model(images, torch.tensor([64]), tg).logits, loaded(images, torch.tensor([64]), tg).logits
    assert torch.allclose(a, b, atol=5e-2 if half else 1e-6)
    stored = read_model_file(path)["state_dict"]
    assert {v.dtype for v in stored.values() if v.is_floating_point()} == \
        ({torch.float16} if half else {torch.float32})


def _saved(tmp_path: Path) -> Path:
    path = tmp_path / "good.pt"
    save_model(path, _model(), CS)
    return path


def test_truncated_file(tmp_path: Path) -> None:
    good = _saved(tmp_path)
    bad = tmp_path / "truncated.pt"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="truncated.pt"):
        load_model(bad)


def test_random_bytes_and_missing(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00\x01not a model" * 100)
    with pytest.raises(ModelFileError, match="junk.pt"):
        load_model(junk)
    with pytest.raises(ModelFileError, match="no such file"):
        load_model(tmp_path / "absent.pt")


class Evil:
    def __reduce__(self):  # would run code if unpickled without weights_only
        return (print, ("pwned",))


def test_foreign_pickles_are_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.pt"
    torch.save({"format": "unitext-model", "payload": Evil()}, evil)
    with pytest.raises(ModelFileError, match="evil.pt"):
        load_model(evil)
    plain = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, plain)
    with pytest.raises(ModelFileError, match="not a UniText model file"):
        load_model(plain)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(ModelFileError):
        load_model(raw)


def test_mismatched_weights_and_versions(tmp_path: Path) -> None:
    good = _saved(tmp_path)
    blob = torch.load(good, weights_only=True)
    wrong = dict(blob, config={**blob["config"], "lstm_hidden": 80})
    torch.save(wrong, tmp_path / "mismatch.pt")
    with pytest.raises(ModelFileError, match="do not match"):
        load_model(tmp_path / "mismatch.pt")
    newer = dict(blob, format_version=FORMAT_VERSION + 1)
    torch.save(newer, tmp_path / "newer.pt")
    with pytest.raises(ModelFileError, match="newer"):
        load_model(tmp_path / "newer.pt")
    short = dict(blob, charset=blob["charset"][:-3])
    torch.save(short, tmp_path / "charset.pt")
    with pytest.raises(ModelFileError, match="classes"):
        load_model(tmp_path / "charset.pt")
    unknown = dict(blob, config={**blob["config"], "mystery": 3})
    torch.save(unknown, tmp_path / "unknown.pt")
    with pytest.raises(ModelFileError, match="mystery"):
        load_model(tmp_path / "unknown.pt")
