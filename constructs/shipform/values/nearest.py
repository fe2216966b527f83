"""The nearest match for a mistyped value: a choice of a Literal prop or a folder of the app, offered as the
start of a fix (``did you mean 'postgres'? ...``)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

_CUTOFF = 0.6  # difflib's default: 'postgresql' finds 'postgres', 'nginx' finds nothing among engines


def did_you_mean(value: object, choices: Iterable[object]) -> str:
    """``"did you mean 'x'? "`` for the choice nearest ``value`` (a string), else ''."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, [c for c in choices if isinstance(c, str)], n=1, cutoff=_CUTOFF)
    return f"did you mean {close[0]!r}? " if close else ""


def near_folder(root: Path, relative: str) -> str:
    """``"did you mean 'services/api'? "`` when ``relative`` (a folder under ``root`` that does not exist) is
    one step from a folder next to where it would be, else ''."""
    wanted = PurePosixPath(relative)
    parent = root / wanted.parent
    try:
        siblings = [p.name for p in parent.iterdir() if p.is_dir()] if parent.is_dir() else []
    except OSError:
        return ""
    close = difflib.get_close_matches(wanted.name, siblings, n=1, cutoff=_CUTOFF)
    return f"did you mean {(wanted.parent / close[0]).as_posix()!r}? " if close else ""
