"""The error users see when output cannot be written or read: one line naming the path and what to do."""

from __future__ import annotations

import errno

_FIXES = {
    errno.ENOSPC: "free some disk space and run it again",
    errno.EDQUOT: "free some space within your disk quota and run it again",
    errno.EROFS: "the file system is read-only: pass --outdir with a writable folder",
    errno.EACCES: "make the folder writable for you, or pass --outdir with a folder you may write to",
    errno.EPERM: "make the folder writable for you, or pass --outdir with a folder you may write to",
    errno.ENOTDIR: "a file is where shipform needs a folder: move that file away, or pass another --outdir",
    errno.EEXIST: "a file is where shipform needs a folder: move that file away, or pass another --outdir",
    errno.EISDIR: "a folder is where shipform needs a file: move that folder away",
    errno.ELOOP: "a symlink is in the way and shipform never writes through one: remove the symlink "
                 "(its target is left alone)",
    errno.EMLINK: "the file system cannot hard-link the files shipform keeps: pass --outdir on another file system",
    errno.ENOTSUP: "the file system cannot hard-link the files shipform keeps: pass --outdir on another file system",
}


class OutputError(Exception):
    """Output cannot be written (or, for --check, read): the message is one line with the path and the fix."""


def os_error(err: OSError, action: str, path: object, unchanged: bool = False) -> OutputError:
    """``err`` as an OutputError: 'cannot <action> <path>: <reason>. Fix: <what to do>'."""
    reason = err.strerror or str(err)
    fix = _FIXES.get(err.errno or 0, "fix the cause and run it again")
    note = " (the previous output is unchanged)" if unchanged else ""
    return OutputError(f"cannot {action} {path}: {reason}{note}. Fix: {fix}")
