"""The user's files under the server root: where a share comes from and where an import lands.

Blocking functions, meant to run in a worker thread. Every path is resolved (symlinks included) and must
stay inside the root; a file is opened with ``O_NOFOLLOW`` and checked with ``fstat`` so that what is
read is the regular file that was checked. Imports never overwrite: a name is taken with an atomic
``link()`` that fails when the name exists, so two concurrent imports always get two names.
"""

from __future__ import annotations

import errno
import io
import os
import secrets
import shutil
import stat
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..errors import StudioCollabError

_MAX_NAME_TRIES = 1000


@dataclass(frozen=True)
class SourceFile:
    path: Path  # resolved, inside the root
    relative: str  # as JupyterLab names it, "dir/train.ipynb"
    size: int


def resolve_source(root: Path, requested: object, max_bytes: int) -> SourceFile:
    """The file to share, or a 400/404/413 that says what is wrong with ``requested``."""
    if not isinstance(requested, str) or not requested.strip("/ ") or "\x00" in requested:
        raise StudioCollabError(
            "invalid_path", "Give the path of a file under the server root, like 'project/train.ipynb'.", 400
        )
    relative = PurePosixPath(requested.lstrip("/"))
    if not Path(os.path.normpath(root / relative)).is_relative_to(root):
        raise _outside(relative)  # before touching the disk: whether a file exists out there is not our business
    try:
        resolved = (root / relative).resolve(strict=True)
    except FileNotFoundError:
        raise StudioCollabError(
            "path_not_found",
            f"There is no file '{relative}' under the server root. Save the notebook first, or check the path.",
            404,
        ) from None
    except (OSError, RuntimeError):
        raise StudioCollabError("invalid_path", f"'{relative}' cannot be resolved (a symlink loop?).", 400) from None
    if not resolved.is_relative_to(root):
        raise _outside(relative)
    _refuse_symlinks(root, relative)
    info = resolved.stat()
    if not stat.S_ISREG(info.st_mode):
        raise StudioCollabError("not_a_file", f"'{relative}' is not a regular file; share a notebook or file.", 400)
    if info.st_size > max_bytes:
        raise too_large(info.st_size, max_bytes)
    return SourceFile(resolved, resolved.relative_to(root).as_posix(), info.st_size)


def _refuse_symlinks(root: Path, relative: PurePosixPath) -> None:
    """A share is the file named, never what a link points to (even inside the root): the recipient must get
    the file the author saw in that place."""
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise StudioCollabError(
                "is_symlink",
                f"'{current.relative_to(root).as_posix()}' is a symbolic link; "
                "studio-collab never shares through a link. Share the file it points to.",
                400,
            )


def _outside(relative: PurePosixPath) -> StudioCollabError:
    return StudioCollabError(
        "path_outside_root",
        f"'{relative}' leads outside the server root (through '..' or a "
        "symlink); only files under the root can be shared.",
        400,
    )


def too_large(size: int, max_bytes: int) -> StudioCollabError:
    return StudioCollabError(
        "share_too_large",
        f"The file is {size / (1 << 20):.1f} MB; shares are limited to "
        f"{max_bytes / (1 << 20):.0f} MB (StudioCollabApp.share_max_bytes). Clear large "
        "outputs, or share it without outputs.",
        413,
    )


def open_source(source: SourceFile) -> BinaryIO:
    """Open the checked file itself: a symlink swapped in since the check is refused, not followed."""
    try:
        fd = os.open(source.path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        raise StudioCollabError(
            "path_not_found", f"'{source.relative}' changed while it was being shared; try again.", 409
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StudioCollabError("not_a_file", f"'{source.relative}' is not a regular file.", 400)
    return os.fdopen(fd, "rb")


def notebook_without_outputs(source: SourceFile) -> bytes:
    """The notebook with every output and execution count cleared, still a valid notebook."""
    import nbformat  # lazy: only sharing without outputs needs it

    with open_source(source) as handle:
        raw = handle.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat warns about missing cell ids; writes() adds them
            notebook = nbformat.reads(raw.decode("utf-8"), as_version=nbformat.NO_CONVERT)
            for cell in notebook.cells:
                if cell.get("cell_type") == "code":
                    cell["outputs"] = []
                    cell["execution_count"] = None
                    cell.get("metadata", {}).pop("execution", None)  # JupyterLab's run timings
            nbformat.validate(notebook)
            return nbformat.writes(notebook).encode("utf-8")
    except UnicodeDecodeError:
        reason = "it is not UTF-8 text"
    except nbformat.reader.NotJSONError:
        reason = "it is not valid JSON"
    except (nbformat.ValidationError, ValueError, KeyError, TypeError, AttributeError) as err:
        reason = f"it is not a valid notebook ({str(err).splitlines()[0][:200]})"
    raise StudioCollabError(
        "invalid_notebook",
        f"'{source.relative}' cannot be shared without outputs: {reason}. "
        "Fix the notebook (or share it with outputs, as it is).",
        400,
    )


def snapshot_reader(source: SourceFile, include_outputs: bool) -> BinaryIO:
    """What to upload: the file as it is, or the notebook without outputs."""
    if not include_outputs and source.path.suffix == ".ipynb":
        return io.BytesIO(notebook_without_outputs(source))
    return open_source(source)


def download_target() -> tuple[BinaryIO, Path]:
    """A private temp file outside the root: nothing lands under the root until the hash is checked."""
    fd, name = tempfile.mkstemp(prefix="studio-collab-import-", suffix=".part")
    return os.fdopen(fd, "w+b"), Path(name)  # readable too: the copy is hashed from the same handle


def land(root: Path, downloaded: Path, author: str, title: str) -> str:
    """Put the verified download at ``shared/<author>/<title>`` (or a numbered name); returns the
    JupyterLab path of the new copy. The download is consumed: its temp name is gone afterwards."""
    try:
        return _land(root, downloaded, author, title)
    finally:
        downloaded.unlink(missing_ok=True)


def _land(root: Path, downloaded: Path, author: str, title: str) -> str:
    directory = _landing_directory(root, author)
    name = title.lstrip(".") or "shared-file"  # never a hidden file
    os.chmod(downloaded, 0o644)
    try:
        landed = _link_new_name(downloaded, directory, name)
    except OSError as err:
        if err.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
            raise
        # The temp dir is on another file system (or it refuses hard links): copy next to the target
        # under a hidden name first, so the visible name still appears in one atomic step.
        staged = directory / f".{name}.{secrets.token_hex(6)}.part"
        with open(downloaded, "rb") as source, open(staged, "xb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
        try:
            landed = _link_new_name(staged, directory, name)
        finally:
            staged.unlink(missing_ok=True)
    return landed.relative_to(root).as_posix()


def _landing_directory(root: Path, author: str) -> Path:
    """``shared/<author>`` under the root, made when missing. A symlink there is refused, not followed (even one
    that stays inside the root), and a file where a folder must be is a 409 that says what to move."""
    directory = root / "shared" / author
    # Checked before anything is made too: through a 'shared' link, mkdir would create a folder outside the root.
    if not directory.resolve().is_relative_to(root):
        raise _landing_outside()
    for step in (root / "shared", directory):
        shown = step.relative_to(root).as_posix()
        if step.is_symlink():
            raise StudioCollabError(
                "landing_is_symlink",
                f"'{shown}' in this space is a symbolic link; imports "
                "never follow links. Replace it with a folder (or remove it), then import "
                "again.",
                409,
            )
        if step.exists() and not step.is_dir():
            raise StudioCollabError(
                "landing_not_a_folder",
                f"'{shown}' in this space is a file, but imports land "
                f"in a folder of that name ('{directory.relative_to(root).as_posix()}/'). "
                "Rename or move that file, then import again.",
                409,
            )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # made into a file or link between the check and now
        raise StudioCollabError(
            "landing_not_a_folder",
            "'shared' in this space changed while importing; check that it is a folder, then import again.",
            409,
        ) from None
    resolved = directory.resolve()
    if not resolved.is_relative_to(root):
        raise _landing_outside()
    return resolved


def _landing_outside() -> StudioCollabError:
    return StudioCollabError(
        "path_outside_root",
        "The 'shared' folder of this space links outside the server root; remove that link, then import again.",
        409,
    )


def _candidates(name: str):
    yield name
    stem, dot, suffix = name.rpartition(".")
    if not stem:  # no extension
        stem, dot, suffix = name, "", ""
    for n in range(2, _MAX_NAME_TRIES + 2):
        yield f"{stem} ({n}){dot}{suffix}"


def _link_new_name(source: Path, directory: Path, name: str) -> Path:
    for candidate in _candidates(name):
        target = directory / candidate
        try:
            os.link(source, target)  # fails if the name exists: never an overwrite, even racing another import
        except FileExistsError:
            continue
        return target
    raise StudioCollabError(
        "import_name_exhausted",
        f"'{name}' has {_MAX_NAME_TRIES} copies here already; tidy the folder, then import again.",
        409,
    )
