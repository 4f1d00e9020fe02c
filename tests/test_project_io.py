"""Project files: round trip, relative image paths, atomic saves, corrupt files, autosave."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from PIL import Image

from engine.geometry import PolygonRegion, RectRegion, RotatedRectRegion
from unitext_app.document import Document, Page, TextRegion
from unitext_app.project_io import (FORMAT_VERSION, ProjectFileError, autosave_path,
                                    autosave_project_path, discard_autosave, find_recoverable,
                                    load_project, read_autosave, save_project, write_autosave)


def make_document(tmp_path: Path, outside: Path | None = None) -> Document:
    img1 = tmp_path / "proj" / "images" / "scan é 1.png"
    img1.parent.mkdir(parents=True)
    Image.new("RGB", (400, 300), "white").save(img1)
    img2 = (outside or tmp_path / "elsewhere") / "page2.jpg"
    img2.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (300, 500), "white").save(img2)
    regions1 = [
        TextRegion(RectRegion(20, 20, 300, 40), machine_text="L’ete « chaud »",
                   confidence=0.71, char_confidences=[0.5] * 15,
                   corrected_text="L’été « chaud »", model="unitext-small"),
        TextRegion(RotatedRectRegion(200, 120, 200, 40, 12.5), machine_text="Café crème",
                   confidence=0.93, char_confidences=[0.9] * 10),
        TextRegion(PolygonRegion(((30, 180), (120, 170), (210, 180), (210, 215), (30, 215),
                                  (10, 200))), machine_text="poly"),
        TextRegion(RectRegion(300, 250, 80, 30)),  # never recognised
    ]
    regions2 = [TextRegion(RectRegion(1, 2, 3, 4), machine_text="«deux»", confidence=0.5)]
    return Document(pages=[Page(str(img1), 400, 300, regions=regions1),
                           Page(str(img2), 300, 500, frame=2, regions=regions2)],
                    metadata={"title": "Lettre", "languages": ["fr"]})


def test_round_trip_and_relative_paths(tmp_path: Path) -> None:
    doc = make_document(tmp_path)
    path = tmp_path / "proj" / "letter.unitext.json"
    save_project(doc, path, app_version="0.1.0")
    data = json.loads(path.read_text("utf-8"))
    assert (data["format"], data["version"], data["saved_with"]) == ("unitext-project", 1, "0.1.0")
    pages = data["document"]["pages"]
    assert pages[0]["image_path"] == "images/scan é 1.png"  # inside the project folder
    assert pages[1]["image_path"] == str(tmp_path / "elsewhere" / "page2.jpg")  # outside
    assert "L’été" in path.read_text("utf-8")  # UTF-8, not \u escapes

    loaded = load_project(path)
    assert loaded == doc  # dataclass equality: every field, every region, in order
    assert Path(loaded.pages[0].image_path).is_absolute()
    assert loaded.pages[0].regions[0].is_corrected and not loaded.pages[0].regions[3].is_recognised


def test_project_folder_can_move(tmp_path: Path) -> None:
    doc = make_document(tmp_path)
    save_project(doc, tmp_path / "proj" / "p.unitext.json")
    moved = tmp_path / "moved"
    (tmp_path / "proj").rename(moved)
    loaded = load_project(moved / "p.unitext.json")
    assert loaded.pages[0].image_path == str(moved / "images" / "scan é 1.png")
    assert Path(loaded.pages[0].image_path).exists()


def test_saved_with_defaults_to_unknown(tmp_path: Path) -> None:
    path = tmp_path / "empty.unitext.json"
    save_project(Document(), path)
    data = json.loads(path.read_text())
    assert data["saved_with"] == "unknown" and data["document"]["pages"] == []
    assert load_project(path) == Document()


def test_failed_save_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = make_document(tmp_path)
    path = tmp_path / "proj" / "p.unitext.json"
    save_project(doc, path)
    before = path.read_bytes()

    def boom(src, dst):  # noqa: ANN001
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    doc.pages[0].regions[0].corrected_text = "changed"
    with pytest.raises(ProjectFileError, match="no space left") as err:
        save_project(doc, path)
    assert str(path) in str(err.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["images", "p.unitext.json"]


def test_save_to_missing_or_bad_folder(tmp_path: Path) -> None:
    doc = make_document(tmp_path)
    missing = tmp_path / "nowhere" / "p.unitext.json"
    with pytest.raises(ProjectFileError, match="does not exist") as err:
        save_project(doc, missing)
    assert str(missing) in str(err.value)
    folder = tmp_path / "adir.unitext.json"
    folder.mkdir()
    with pytest.raises(ProjectFileError, match="folder"):
        save_project(doc, folder)
    if os.name == "posix" and os.geteuid() != 0:  # root ignores permissions
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            with pytest.raises(ProjectFileError, match="permission denied"):
                save_project(doc, ro / "p.unitext.json")
        finally:
            ro.chmod(0o700)


def _valid_doc_json() -> dict:
    return {"format": "unitext-project", "version": 1, "saved_with": "x",
            "document": {"pages": [{"image_path": "a.png", "width": 10, "height": 10,
                                    "regions": []}], "metadata": {}}}


@pytest.mark.parametrize("content, reason", [
    (None, "file not found"),
    (b"", "empty"),
    (b"\xff\xfe\x00garbage\x80", "not UTF-8"),
    (b"hello, world", "not valid JSON"),
    (json.dumps(_valid_doc_json()).encode()[:-20], "truncated"),
    (b"[1, 2, 3]", "not a UniText project"),
    (json.dumps({"format": "something-else", "version": 1}).encode(), "not a UniText project"),
    (json.dumps({**_valid_doc_json(), "version": FORMAT_VERSION + 1,
                 "saved_with": "9.0"}).encode(), "newer UniText"),
    (json.dumps({**_valid_doc_json(), "version": "one"}).encode(), "bad version"),
    (json.dumps({k: v for k, v in _valid_doc_json().items() if k != "document"}).encode(),
     "no \"document\""),
    (json.dumps({**_valid_doc_json(), "document": {"pages": {"a": 1}}}).encode(),
     "pages must be a list"),
    (json.dumps({**_valid_doc_json(), "document": {"pages": [{"width": 3}]}}).encode(),
     "image_path"),
    (json.dumps({**_valid_doc_json(), "document": {"pages": [
        {"image_path": "a", "width": 5, "height": 5,
         "regions": [{"shape": {"kind": "circle"}}]}]}}).encode(), "unknown region kind"),
    (json.dumps({**_valid_doc_json(), "document": {"pages": [
        {"image_path": "a", "width": 5, "height": 5,
         "regions": [{"shape": {"kind": "rect", "x": 0, "y": 0, "w": 1, "h": 1},
                      "char_confidences": [None]}]}]}}).encode(), "malformed"),
    (json.dumps({**_valid_doc_json(), "document": {"pages": [
        {"image_path": "a", "width": 0, "height": 5}]}}).encode(), "0x5"),
])
def test_corrupt_files_raise_project_file_error(tmp_path: Path, content: bytes | None,
                                                reason: str) -> None:
    path = tmp_path / "broken.unitext.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ProjectFileError) as err:
        load_project(path)
    assert str(path) in str(err.value)
    assert reason in str(err.value)
    assert err.value.path == path


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="folder"):
        load_project(tmp_path)


def test_non_finite_confidence_is_saved_as_null(tmp_path: Path) -> None:
    doc = Document(pages=[Page("a.png", 10, 10, regions=[
        TextRegion(RectRegion(0, 0, 1, 1), machine_text="a", confidence=float("nan"),
                   char_confidences=[float("inf")])])])
    path = tmp_path / "nan.unitext.json"
    save_project(doc, path)
    region = load_project(path).pages[0].regions[0]
    assert region.confidence is None and region.char_confidences == [0.0]


# ---------------------------------------------------------------------------------------------
# autosave


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_autosave_paths(tmp_path: Path) -> None:
    auto = tmp_path / "autosave"
    a = autosave_path(tmp_path / "x" / "letter.unitext.json", auto)
    b = autosave_path(tmp_path / "y" / "letter.unitext.json", auto)
    assert a.parent == auto and a != b  # same name, different folders
    assert a.name.startswith("letter-") and a.name.endswith(".autosave.json")
    assert autosave_path(tmp_path / "x" / "letter.unitext.json", auto) == a  # stable
    assert autosave_path(None, auto) == auto / f"untitled-{os.getpid()}.autosave.json"
    assert autosave_path(None, auto, session="abc").name == "untitled-abc.autosave.json"


def test_autosave_recovery(tmp_path: Path) -> None:
    doc = make_document(tmp_path)
    auto = tmp_path / "autosave"  # created on demand
    project = tmp_path / "proj" / "p.unitext.json"
    save_project(doc, project)
    _age(project, 100)

    doc.pages[0].regions[1].corrected_text = "Café crème brûlée"
    saved = write_autosave(doc, project, auto, app_version="0.1.0")
    assert saved == autosave_path(project, auto) and saved.exists()
    assert find_recoverable(auto) == [saved]  # newer than the project
    recovered, target = read_autosave(saved)
    assert recovered == doc and target == Path(os.path.abspath(project))
    assert autosave_project_path(saved) == Path(os.path.abspath(project))
    # autosaves hold absolute image paths: they live in another folder than the project
    stored = json.loads(saved.read_text("utf-8"))
    assert all(Path(p["image_path"]).is_absolute() for p in stored["document"]["pages"])

    save_project(doc, project)  # the project is now newer: nothing to recover
    os.utime(project, (time.time() + 5, time.time() + 5))
    assert find_recoverable(auto) == []
    discard_autosave(project, auto)
    assert not saved.exists()
    discard_autosave(project, auto)  # already gone: fine


def test_recoverable_untitled_missing_project_and_order(tmp_path: Path) -> None:
    doc = make_document(tmp_path)
    auto = tmp_path / "autosave"
    crashed = write_autosave(doc, None, auto, session="12345")  # another session's untitled
    _age(crashed, 50)
    gone = write_autosave(doc, tmp_path / "deleted.unitext.json", auto)  # project never written
    _age(gone, 10)
    mine = write_autosave(doc, None, auto)  # this process's own untitled autosave
    (auto / "junk.autosave.json").write_text("{not json")
    (auto / "other.txt").write_text("ignored")
    assert find_recoverable(auto) == [gone, crashed]  # newest first, own and junk skipped
    assert read_autosave(crashed)[1] is None
    discard_autosave(None, auto)
    assert not mine.exists() and crashed.exists()
    assert find_recoverable(tmp_path / "no autosave dir") == []


def test_autosave_write_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ProjectFileError, match="autosave folder"):
        write_autosave(Document(), None, blocker / "sub")
