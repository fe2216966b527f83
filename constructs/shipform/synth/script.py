"""``python app.py`` reports as `shipform synth` does: every problem of every construct in one run, each line after
the file and line that created the construct, then exit 1, with no traceback and nothing written. The model
collects the errors while the file runs (model/app_file.py decides that Python runs it as its program); this
module reports them where the program ends: at ``App.synth()``, at an error that stops the file (a broken
construct used, an Environment refused), or at exit when no App was synthesized."""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from shipform.errors import InvalidApp, ShipformError, ShipformErrors
from shipform.model.construction import report, shown
from shipform.model.stage import App
from shipform.write.output_error import OutputError

_SYNTHESIZED: set[int] = set()
"""The Apps (ids) whose errors are reported already: their synth ran, or an error stopped the program."""


def fail(message: str) -> None:
    """The CLI's way out: 'error: ' and the lines on stderr, exit 1 (SystemExit: no traceback)."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def synth_reported(app: App, synth: Callable[[], Any]) -> None:
    """Run ``synth`` for ``app``: an invalid app or output that cannot be written ends the program as the CLI does."""
    _SYNTHESIZED.add(id(app))
    try:
        synth()
    except InvalidApp as err:
        fail(report(err))
    except OutputError as err:
        fail(str(err))


def started(apps: list[App]) -> None:
    """Report what stops the program (an uncaught InvalidApp) with the errors recorded before it, and at exit the
    errors of Apps never synthesized."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if not isinstance(value, InvalidApp):
            previous(kind, value, tb)
            return
        where = _user_line(tb)
        for problem in value.problems:
            problem.location = problem.location or where
        _SYNTHESIZED.update(id(a) for a in apps)  # reported here, not again at exit
        recorded = [e for a in apps for e in a.construction_errors]
        stopped = [e for e in value.problems if not any(e is r for r in recorded)]
        print(f"error: {report(ShipformErrors(recorded + stopped))}", file=sys.stderr)

    sys.excepthook = hook
    atexit.register(_unsynthesized, apps)


def _unsynthesized(apps: list[App]) -> None:
    """At exit: the errors of Apps the file never synthesized, which would otherwise go unsaid. An exit handler
    cannot set the exit status, so this one ends the process itself, after flushing what was printed."""
    errors: list[ShipformError] = [e for a in apps if id(a) not in _SYNTHESIZED for e in a.construction_errors]
    if not errors:
        return
    print(f"error: {report(ShipformErrors(errors))}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


def _library_folders() -> tuple[Path, ...]:
    import cdk8s
    import constructs
    import jsii

    return (*(Path(m.__file__ or "").resolve().parent for m in (cdk8s, constructs, jsii)),
            Path(__file__).resolve().parents[1])


def _user_line(tb: TracebackType | None) -> str | None:
    """``file:line`` of the deepest frame of the user's code in ``tb``: the line whose call failed."""
    skip = _library_folders()
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith("<") and not any(Path(filename).resolve().is_relative_to(f) for f in skip):
            found = shown((filename, tb.tb_lineno))
        tb = tb.tb_next
    return found
