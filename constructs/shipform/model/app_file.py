"""The user's file that creates an App, and whether Python runs that file as its script (``python app.py``),
where every problem of every construct is reported at once instead of the first one as a traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType


def _user_frame() -> FrameType | None:
    """The first frame outside shipform and jsii: the user's code that creates the App. Both sides are compared
    resolved: a frame's file may be named through a symlink (a venv's lib/ often is one) and jsii's __file__ too,
    and comparing a resolved name with an unresolved one took jsii's runtime for the app file."""
    import jsii

    skip = (Path(__file__).resolve().parents[1], Path(jsii.__file__).resolve().parent)
    # Frames walked by f_back: inspect.stack() would look up each frame's module and source file, which cost more
    # than the rest of the App's construction.
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        path = Path(frame.f_code.co_filename).resolve()
        if not any(path.is_relative_to(folder) for folder in skip):
            return frame
        frame = frame.f_back
    return None


def caller_file() -> Path:
    """The user's file that created the App (``app.py`` in the working folder when there is none: a REPL)."""
    frame = _user_frame()
    return Path(frame.f_code.co_filename).resolve() if frame is not None else Path.cwd() / "app.py"


def run_as_script() -> bool:
    """The App is created by the file Python runs as its program (``python app.py``, ``python -m shop.app``, what
    ``cdk8s synth`` runs): not by a test, a REPL, a notebook or an imported module, where a constructor raises at
    once as any Python constructor does."""
    frame = _user_frame()
    program = sys.argv[0] if sys.argv else ""
    if frame is None or frame.f_globals.get("__name__") != "__main__" or not program:
        return False
    return Path(frame.f_code.co_filename).resolve() == Path(program).resolve()
