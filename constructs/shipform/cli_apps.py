"""What every `shipform` command shares: finding the app file (cdk8s.yaml's 'app', else apps/main.py), running it
with the user's frames only in a traceback, reporting an invalid app in one place, and the arguments that name the
app file and the output folder. Light: nothing here imports cdk8s or Node until an app file runs."""

from __future__ import annotations

import contextlib
import os
import runpy
import shlex
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from shipform import console

if TYPE_CHECKING:
    from shipform.model.stage import App

HELP = {"help_option_names": ["-h", "--help"]}
"""-h as --help, on every command and group (each Typer below takes it)."""

JSON = Annotated[bool, typer.Option(
    "--json", help="Print one JSON document on stdout (apps, files, notes, errors; see docs/guide/cli.md) instead of "
    "lines; exit codes stay the same.")]
APP_FILE = Annotated[Path | None, typer.Argument(
    help="Python file that defines the app(s). Default: the file in cdk8s.yaml 'app', else apps/main.py.")]
OUTDIR = Annotated[str | None, typer.Option(
    "--outdir", "-o", help="Output folder (a subfolder per app), relative to the working folder. Default: "
    "App(outdir=), CDK8S_OUTDIR, cdk8s.yaml's output, else dist, relative to the project root")]


def fail(message: str) -> NoReturn:
    console.fail(message)


def default_app_file() -> Path:
    """The Python file named by the cdk8s.yaml 'app' command of the project the working folder is in, else the
    project's apps/main.py (:func:`located`)."""
    return located(None)[0]


def located(app_file: Path | None) -> tuple[Path, Path | None]:
    """(the app file, the project root when the working folder decided it). Without an app file, the project is
    the one the working folder is in (cdk8s.yaml upwards, else the git root, else the working folder) and the app
    file the one its cdk8s.yaml's 'app' command runs (relative to that folder, where cdk8s runs it), else its
    apps/main.py; so `shipform synth` works from any subfolder. With one, the project is found from the app."""
    from shipform.delivery.lock import shown
    from shipform.delivery.repository import project_root
    from shipform.errors import InvalidApp
    from shipform.synth.cdk8s_config import CONFIG, read_config

    if app_file is not None:
        return app_file, None
    project = project_root(Path.cwd())
    config = shown(project / CONFIG)
    try:
        data = read_config("app", "correct it, or pass the app file", project)
    except InvalidApp as err:
        fail(str(err))
    if data:
        command = data.get("app", "")
        if not isinstance(command, str):
            fail(f"{config}: 'app' must be a command string, got {command!r}. Fix: write e.g. "
                  "`app: python apps/main.py`, or pass the app file")
        try:
            words = shlex.split(command)
        except ValueError as err:
            fail(f"{config}: 'app' is not a valid command ({err}), got {command!r}. Fix: write e.g. "
                  "`app: python apps/main.py`, or pass the app file")
        py_files = [part for part in words if part.endswith(".py")]
        if py_files:
            return shown_path(project / py_files[0]), project
    return shown_path(project / "apps" / "main.py"), project


def shown_path(path: Path) -> Path:
    """``path`` relative to the working folder when it is inside it: how messages and tracebacks name it."""
    from shipform.delivery.lock import shown

    return Path(shown(path))


def _internal(filename: str) -> bool:
    """A frame of shipform itself or of runpy, which the user did not write."""
    if filename in ("<frozen runpy>", runpy.__file__):
        return True
    package = Path(__file__).resolve().parent
    return Path(filename).resolve().is_relative_to(package)


def _strip_internal_frames(exc: traceback.TracebackException, seen: set[int]) -> None:
    if id(exc) in seen:
        return
    seen.add(id(exc))
    exc.stack = traceback.StackSummary.from_list([f for f in exc.stack if not _internal(f.filename)])
    for nested in (exc.__cause__, exc.__context__, *(getattr(exc, "exceptions", None) or ())):
        if nested is not None:
            _strip_internal_frames(nested, seen)


def _app_file_failed(path: Path, err: Exception) -> NoReturn:
    """What `python app.py` would print (the user's frames only), then one line saying what to do."""
    if isinstance(err, SyntaxError | ValueError) and err.__traceback__ is not None and not any(
            not _internal(frame.filename) for frame in traceback.extract_tb(err.__traceback__)):
        # The app file itself does not compile (a syntax error, NUL bytes): one line says where.
        if isinstance(err, SyntaxError) and err.lineno is not None:
            fail(f"{err.filename or path}:{err.lineno}: {err.msg}. Fix: correct the Python syntax of the app file")
        fail(f"{path} is not Python source ({err}). Fix: pass the Python file that creates your App")
    summary = traceback.TracebackException.from_exception(err)
    _strip_internal_frames(summary, set())
    typer.echo("".join(summary.format()).rstrip("\n"), err=True)
    fail(f"{path} raised {type(err).__name__}; fix the app file")


def load_apps(app_file: Path | None) -> list[App]:
    """Run the app file (App.synth() calls inside it are deferred) and return the Apps it created."""
    from shipform.errors import InvalidApp
    from shipform.model.collecting import collect_apps

    path = app_file or default_app_file()
    if not path.is_file():
        fail(f"app file {path} not found. Fix: pass the file that creates your App")
    console.detail(f"read: {path}")
    folder = str(path.resolve().parent)
    _forget_modules_under(Path(folder))
    sys.path.insert(0, folder)
    try:
        with collect_apps(defer_synth=True, collect_errors=True) as apps:
            runpy.run_path(str(path), run_name="__main__")
    except InvalidApp:
        raise
    except Exception as err:
        _app_file_failed(path, err)
    finally:
        with contextlib.suppress(ValueError):  # the app file may have removed it itself
            sys.path.remove(folder)
        _forget_modules_under(Path(folder))
    if not apps:
        fail(f"{path} created no shipform App. Fix: create App(...) at module level")
    return apps


def _forget_modules_under(folder: Path) -> None:
    """Drop the modules imported from the app's folder: an app file that imports its Apps from modules beside it
    (apps/main.py: `from shop.app import app`) creates them only when those modules run, so each load of the app
    file in one process (tests, shipform.testing) must import them afresh. Only modules found through the folder
    itself (``<folder>/<top>.py`` or ``<folder>/<top>/``) go, never one a virtualenv inside the folder holds."""
    base = str(folder)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or not file.startswith(base):  # cheap first: most modules live elsewhere
            continue
        top = os.path.join(base, name.partition(".")[0])
        if file == f"{top}.py" or file.startswith(top + os.sep):
            del sys.modules[name]


@contextlib.contextmanager
def reported() -> Iterator[None]:
    """An invalid app or output that cannot be written: the one-line messages, exit 1, no traceback."""
    from shipform.errors import InvalidApp
    from shipform.model.construction import locate, report
    from shipform.write.output_error import OutputError

    try:
        yield
    except InvalidApp as err:
        if console.OUT.command is None:
            fail(report(err))
        for e in locate(err.problems):
            console.OUT.report["errors"].append(console.error_entry(str(e), e.path, e.prop, e.value, e.fix or None,
                                                                    e.location))
        console.emit()
        raise typer.Exit(1) from None
    except OutputError as err:
        fail(str(err))
