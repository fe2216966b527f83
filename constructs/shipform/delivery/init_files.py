"""How `shipform init` writes: new files only, inside one folder, never through a symlink. A path that exists (a
file, a folder, a symlink, whatever it points at) is kept. A symlink or a file where a folder of a new file must be
refuses the whole run before anything is written, as the output writer refuses them (shipform.write.writer); each
folder is then opened without following a symlink and each file created exclusively, so nothing swapped in
meanwhile is written through either."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path, PurePosixPath

from shipform.write import reading
from shipform.write.output_error import OutputError, os_error

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def create(folder: Path, files: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Write each of ``files`` ({relative POSIX path: text}) that does not exist under ``folder``; (the paths
    created, the paths kept), in path order. An OutputError, before anything is written, when one cannot be."""
    _refuse_folder(folder)
    paths = sorted(files)
    blocked: dict[str, list[str]] = {}  # why a folder cannot be written into: the files that need it
    for path in paths:
        reason = _blocked(folder, path)
        if reason is not None:
            blocked.setdefault(reason, []).append(path)
    if blocked:
        reasons = "; ".join(f"{reason} (needed for {', '.join(needing)})" for reason, needing in blocked.items())
        raise OutputError(f"cannot create files in {folder}: {reasons}. Fix: move it away (a symlink's target is "
                          "left alone) and run `shipform init` again; nothing was written")
    kept = [path for path in paths if os.path.lexists(folder / path)]
    created = []
    for path in paths:
        if path not in kept:
            if _write_new(folder, path, files[path].encode()):
                created.append(path)
            else:  # it appeared meanwhile: it is someone's, and kept
                kept.append(path)
    return tuple(created), tuple(sorted(kept))


def holds(path: Path, text: str) -> bool:
    """Whether ``path`` is a regular file (not a symlink) whose content is ``text``."""
    try:
        return reading.read_bytes(path, follow_symlinks=False) == text.encode()
    except (OSError, ValueError):
        return False


def _refuse_folder(folder: Path) -> None:
    try:
        mode = os.lstat(folder).st_mode
    except OSError as err:
        raise os_error(err, "read", folder) from None
    if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
        raise OutputError(f"{folder} is not a folder (a symlink or a file); shipform init writes only into a real "
                          "folder. Fix: run it in the folder itself")


def _blocked(folder: Path, path: str) -> str | None:
    """Why ``path``'s folders under ``folder`` cannot hold a new file (a symlink or a file is one), else None."""
    parts = PurePosixPath(path).parts
    for depth in range(1, len(parts)):
        here = PurePosixPath(*parts[:depth])
        try:
            mode = os.lstat(folder / here).st_mode
        except FileNotFoundError:
            return None  # created with the file
        except OSError as err:
            return f"{here} cannot be read ({err.strerror})"
        if stat.S_ISLNK(mode):
            return f"{here} is a symlink, and shipform never writes through one"
        if not stat.S_ISDIR(mode):
            return f"{here} is a file where a folder must be"
    return None


def _write_new(folder: Path, path: str, data: bytes) -> bool:
    """Create ``path`` under ``folder`` with ``data``, making its folders; False when it exists by now."""
    *dirs, name = PurePosixPath(path).parts
    try:
        fd = os.open(folder, _DIRECTORY)
        try:
            for part in dirs:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=fd)
                child = os.open(part, _DIRECTORY, dir_fd=fd)  # ELOOP for a symlink, ENOTDIR for a file
                os.close(fd)
                fd = child
            try:
                out = os.open(name, _NEW_FILE, 0o644, dir_fd=fd)
            except FileExistsError:
                return False
            with os.fdopen(out, "wb") as handle:
                handle.write(data)
            return True
        finally:
            os.close(fd)
    except OSError as err:
        raise os_error(err, "create", folder / path) from None
