"""Reading the files an app names (config files, Dockerfiles, .dockerignore, lockfiles, included manifests,
cdk8s.yaml, the lock file): regular files only. Opening a FIFO waits for a writer that may never come (synth would
hang), and a device may never end; both, and sockets, are refused before a byte is read."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

SPECIAL = "not a regular file (a FIFO, socket or device)"
"""The reason a special file is refused, as ``strerror`` of :class:`NotRegularFile`."""


class NotRegularFile(OSError):
    """The path is a FIFO, a socket or a device, not a regular file."""

    def __init__(self, path: Path | str):
        super().__init__(errno.EINVAL, SPECIAL, str(path))


def _refuse_special(mode: int, path: Path | str) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path)


def is_special(path: Path | str) -> bool:
    """Whether something other than a regular file, a folder or a symlink to one of them is at ``path``."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def read_bytes(path: Path | str, limit: int = -1, follow_symlinks: bool = True) -> bytes:
    """The bytes of the regular file at ``path`` (the first ``limit`` only, if given). Raises
    :class:`NotRegularFile` for a FIFO, socket or device (checked before it is opened, and again on what was
    opened: it may have been swapped in between), IsADirectoryError for a folder, and the OSError of the open
    otherwise (FileNotFoundError, PermissionError, ELOOP for a symlink without ``follow_symlinks``)."""
    if follow_symlinks:
        _refuse_special(os.stat(path).st_mode, path)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        _refuse_special(os.fstat(handle.fileno()).st_mode, path)
        return handle.read(limit)


def read_text(path: Path | str, errors: str = "strict") -> str:
    """The UTF-8 text of the regular file at ``path`` (see :func:`read_bytes`); UnicodeDecodeError when it is not
    UTF-8, unless ``errors`` says otherwise (as for ``bytes.decode``)."""
    return read_bytes(path).decode("utf-8", errors=errors)
