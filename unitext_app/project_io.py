"""Saving and opening UniText projects (``.unitext.json``), and autosave / crash recovery.

The file format is described field by field in ``docs/project-format.md``. In short::

    {"format": "unitext-project", "version": 1, "saved_with": "0.1.0",
     "document": {"pages": [...], "metadata": {...}}}

* Writes are atomic: the JSON goes to a temporary file in the destination folder, is flushed
  and fsync'ed, then ``os.replace``-d over the target. If anything fails the previous file
  is untouched and :class:`ProjectFileError` says why.
* Image paths inside the file are relative to the project file's folder when the image lies
  in that folder or below it (written with ``/`` so a project folder can move between
  machines and systems), absolute otherwise. :func:`load_project` turns them back into
  absolute paths, so in memory ``Page.image_path`` is always absolute.
* Autosaves are ordinary project files (with absolute image paths) in an autosave folder,
  plus an ``"autosave"`` object naming the project they belong to. :func:`find_recoverable`
  lists those newer than their project (or whose project was never saved), newest first.

Qt-free: the GUI and the CLI both use it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Union

from unitext_app.document import Document

PathLike = Union[str, "os.PathLike[str]"]

FORMAT_NAME = "unitext-project"
FORMAT_VERSION = 1
PROJECT_SUFFIX = ".unitext.json"
AUTOSAVE_SUFFIX = ".autosave.json"


class ProjectFileError(Exception):
    """A project file could not be read or written; the message names the file and why."""

    def __init__(self, path: PathLike, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"project file {str(self.path)!r}: {reason}")


# ---------------------------------------------------------------------------------------------
# atomic writing (also used by the exporters)


def atomic_write(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once: temp file in the same folder, fsync, replace.

    Raises OSError (the caller wraps it); on failure the temp file is removed and an existing
    ``path`` is left as it was.
    """
    atomic_write_many([(path, data)])


def atomic_write_many(items: list[tuple[PathLike, bytes]]) -> None:
    """Write several files together: every temp file is written and fsync'ed before any
    target is replaced, so a failure while writing (disk full, permission) changes nothing."""
    prepared: list[tuple[str, Path]] = []
    try:
        for path, data in items:
            target = Path(path)
            folder = target.parent
            if not folder.is_dir():
                raise FileNotFoundError(f"folder {str(folder)!r} does not exist")
            if target.is_dir():
                raise IsADirectoryError(f"{str(target)!r} is a folder")
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                            dir=folder)
            prepared.append((tmp_name, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            _copy_mode(target, tmp_name)
        for tmp_name, target in prepared:
            os.replace(tmp_name, target)
    except BaseException:
        for tmp_name, _target in prepared:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
        raise
    for folder in {target.parent for _tmp, target in prepared}:
        _fsync_dir(folder)


def _read_umask() -> int:
    # Read once at import: os.umask can only be read by setting it, which is process-wide
    # and must not happen while other threads create files.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _copy_mode(target: Path, tmp_name: str) -> None:
    """mkstemp creates 0600 files; give the new file the old one's mode, or the usual 0666-umask."""
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_UMASK
    try:
        os.chmod(tmp_name, mode)
    except OSError:
        pass


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX only; Windows has no directory fsync)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def describe_os_error(exc: BaseException) -> str:
    """A short human reason for an OSError (permission denied, disk full, ...)."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file"
    if isinstance(exc, FileNotFoundError):
        if len(exc.args) == 1 and isinstance(exc.args[0], str):
            return exc.args[0]
        return "the file or its folder does not exist"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


# ---------------------------------------------------------------------------------------------
# saving and loading


def project_to_dict(doc: Document, project_path: PathLike | None,
                    app_version: str | None = None) -> dict[str, Any]:
    """The JSON object of a project file. Image paths are made relative to ``project_path``'s
    folder where the image lies inside it; with ``project_path`` None they stay absolute."""
    data = doc.to_dict()
    folder = Path(os.path.abspath(project_path)).parent if project_path is not None else None
    for page in data["pages"]:
        page["image_path"] = _stored_image_path(page["image_path"], folder)
        for region in page["regions"]:
            conf = region.get("confidence")
            if conf is not None and not math.isfinite(conf):
                region["confidence"] = None
            region["char_confidences"] = [c if math.isfinite(c) else 0.0
                                          for c in region.get("char_confidences") or []]
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION,
            "saved_with": app_version or "unknown", "document": data}


def save_project(doc: Document, path: PathLike, app_version: str | None = None) -> None:
    """Write ``doc`` to ``path`` atomically; raises :class:`ProjectFileError` saying why not."""
    data = project_to_dict(doc, path, app_version)
    _write_json(data, Path(path))


def load_project(path: PathLike) -> Document:
    """Read a project file; image paths come back absolute.

    Raises :class:`ProjectFileError` (naming the file) when it is missing, unreadable, not
    JSON, truncated, not a UniText project, from a newer version, or its content is malformed.
    """
    p = Path(path)
    data = _read_json(p)
    doc = _document_from(data, p)
    folder = Path(os.path.abspath(p)).parent
    for page in doc.pages:
        page.image_path = _resolved_image_path(page.image_path, folder)
    return doc


def _write_json(data: dict[str, Any], path: Path) -> None:
    try:
        text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ProjectFileError(path, f"cannot be written, the document holds a value JSON "
                                     f"cannot store ({exc})") from exc
    try:
        atomic_write(path, (text + "\n").encode("utf-8"))
    except OSError as exc:
        raise ProjectFileError(path, f"cannot be saved: {describe_os_error(exc)}") from exc


def _read_json(p: Path) -> Any:
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ProjectFileError(p, "file not found") from None
    except IsADirectoryError:
        raise ProjectFileError(p, "it is a folder, not a project file") from None
    except OSError as exc:
        raise ProjectFileError(p, f"cannot be read: {describe_os_error(exc)}") from exc
    if not raw.strip():
        raise ProjectFileError(p, "the file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectFileError(p, "not a UniText project (not UTF-8 text)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            raise ProjectFileError(p, "the file is truncated (it ends in the middle of the "
                                      "data); it may have been cut off by a crash or a "
                                      "full disk") from None
        raise ProjectFileError(p, f"not a UniText project (not valid JSON: {exc.msg} at line "
                                  f"{exc.lineno}, column {exc.colno})") from None


def _document_from(data: Any, p: Path) -> Document:
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ProjectFileError(p, f"not a UniText project (no \"format\": \"{FORMAT_NAME}\")")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProjectFileError(p, f"not a valid UniText project (bad version {version!r})")
    if version > FORMAT_VERSION:
        saved_with = data.get("saved_with") or "a newer UniText"
        raise ProjectFileError(p, f"saved by a newer UniText ({saved_with}) in project format "
                                  f"version {version}; this UniText reads up to version "
                                  f"{FORMAT_VERSION}. Please update UniText")
    if "document" not in data:
        raise ProjectFileError(p, "malformed project: no \"document\"")
    try:
        doc = Document.from_dict(data["document"])
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ProjectFileError(p, f"malformed project content: {exc}") from exc
    for n, page in enumerate(doc.pages, 1):
        if page.width <= 0 or page.height <= 0:
            raise ProjectFileError(p, f"malformed project content: page {n} has size "
                                      f"{page.width}x{page.height}")
    return doc


def _stored_image_path(image_path: str, folder: Path | None) -> str:
    if not image_path:
        return image_path
    absolute = Path(os.path.abspath(image_path))
    if folder is None:
        return str(absolute)
    try:
        rel = absolute.relative_to(folder)
    except ValueError:  # outside the project folder, or on another drive
        return str(absolute)
    return rel.as_posix()


def _resolved_image_path(stored: str, folder: Path) -> str:
    if not stored:
        return stored
    p = Path(stored)
    if p.is_absolute():
        return str(p)
    return os.path.normpath(folder / p)


# ---------------------------------------------------------------------------------------------
# autosave and recovery


def autosave_path(project_path: PathLike | None, autosave_dir: PathLike,
                  session: str | int | None = None) -> Path:
    """Where the autosave of a project goes.

    A saved project gets ``<name>-<hash of its absolute path>.autosave.json`` (two projects
    with the same name in different folders do not collide). An untitled one gets
    ``untitled-<session>.autosave.json``, the session being the process id unless given, so
    a new session never overwrites the autosave of one that crashed before it is recovered.
    """
    folder = Path(autosave_dir)
    if project_path is None:
        tag = _safe_name(str(session if session is not None else os.getpid()))
        return folder / f"untitled-{tag}{AUTOSAVE_SUFFIX}"
    absolute = os.path.abspath(project_path)
    name = Path(absolute).name
    if name.lower().endswith(PROJECT_SUFFIX):
        name = name[: -len(PROJECT_SUFFIX)]
    digest = hashlib.sha1(os.path.normcase(absolute).encode("utf-8")).hexdigest()[:10]
    return folder / f"{_safe_name(name) or 'project'}-{digest}{AUTOSAVE_SUFFIX}"


def write_autosave(doc: Document, project_path: PathLike | None, autosave_dir: PathLike,
                   app_version: str | None = None, session: str | int | None = None) -> Path:
    """Write the autosave of ``doc`` (atomically, image paths absolute) and return its path.

    Creates ``autosave_dir`` if needed. Raises :class:`ProjectFileError` on failure.
    """
    target = autosave_path(project_path, autosave_dir, session)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectFileError(target, f"cannot create the autosave folder: "
                                       f"{describe_os_error(exc)}") from exc
    data = project_to_dict(doc, None, app_version)
    data["autosave"] = {
        "project_path": None if project_path is None else os.path.abspath(project_path),
        "saved_at": _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "session": str(session if session is not None else os.getpid()),
    }
    _write_json(data, target)
    return target


def autosave_project_path(autosave_file: PathLike) -> Path | None:
    """The project an autosave belongs to (None for an untitled project).

    Raises :class:`ProjectFileError` if the autosave cannot be read.
    """
    p = Path(autosave_file)
    info = _read_json(p)
    if not isinstance(info, dict) or not isinstance(info.get("autosave"), dict):
        raise ProjectFileError(p, "not a UniText autosave")
    project = info["autosave"].get("project_path")
    return Path(project) if isinstance(project, str) and project else None


def read_autosave(autosave_file: PathLike) -> tuple[Document, Path | None]:
    """The recovered document and the project it belongs to (None when untitled)."""
    return load_project(autosave_file), autosave_project_path(autosave_file)


def find_recoverable(autosave_dir: PathLike) -> list[Path]:
    """Autosaves worth offering to recover, newest first.

    One is recoverable when it is newer than its project file, when its project file is gone,
    or when the project was never saved (untitled). Unreadable autosaves are skipped, as is
    the untitled autosave of the current process.
    """
    folder = Path(autosave_dir)
    if not folder.is_dir():
        return []
    found: list[tuple[float, Path]] = []
    own = autosave_path(None, folder).name
    for candidate in folder.glob(f"*{AUTOSAVE_SUFFIX}"):
        if candidate.name == own or not candidate.is_file():
            continue
        try:
            project = autosave_project_path(candidate)
            mtime = candidate.stat().st_mtime
        except (ProjectFileError, OSError):
            continue
        if project is not None:
            try:
                if project.stat().st_mtime >= mtime:
                    continue
            except OSError:
                pass  # the project file is gone: the autosave is all that is left
        found.append((mtime, candidate))
    return [p for _, p in sorted(found, key=lambda item: item[0], reverse=True)]


def discard_autosave(project_path: PathLike | None, autosave_dir: PathLike,
                     session: str | int | None = None) -> None:
    """Remove the autosave of a project (after a successful save, or when the user declines
    recovery). Missing autosaves are fine."""
    try:
        autosave_path(project_path, autosave_dir, session).unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ProjectFileError(autosave_path(project_path, autosave_dir, session),
                               f"cannot remove the autosave: {describe_os_error(exc)}") from exc


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:60]
