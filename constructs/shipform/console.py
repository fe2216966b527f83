"""What the `shipform` command prints, and how: how much (--quiet, --verbose), in colour only on a terminal, and
for `synth`, `synth --check` and `diff` with --json one JSON document on stdout instead (REPORT_FORMAT).

- quiet: errors only (stderr); what a command exists to print (a diff, a graph, a script) is still printed.
- normal: the summary lines (files written, up to date, notes).
- verbose: besides, on stderr, what was read (the app file) and each file written, removed or found stale.

Imported by --help: only the standard library and typer here; the rest is imported where it is used."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from shipform.synth.diff import FileDiff
    from shipform.validators.run import Outcome


class Level(IntEnum):
    QUIET = 0
    NORMAL = 1
    VERBOSE = 2


REPORT_FORMAT = 1
"""The version of the --json document's shape (docs/guide/cli.md, --json); a change that removes or renames a key
raises it."""


@dataclass
class Output:
    """How this invocation prints; the command's callback sets it before any command runs."""

    level: Level = Level.NORMAL
    command: str | None = None
    """'synth', 'synth --check' or 'diff' while --json collects the report; None prints lines."""
    report: dict[str, Any] = field(default_factory=dict)


OUT = Output()


def configure(level: Level) -> None:
    OUT.level, OUT.command, OUT.report = level, None, {}


def colour(err: bool) -> bool:
    """ANSI colour only on a terminal, and never when NO_COLOR is set to anything but '' (no-color.org)."""
    stream = sys.stderr if err else sys.stdout
    return not os.environ.get("NO_COLOR") and stream.isatty()


def styled(text: str, fg: str, err: bool = False, bold: bool = False) -> str:
    return typer.style(text, fg=fg, bold=bold) if colour(err) else text


CHANGE_COLOURS = {"+": "green", "~": "yellow", "-": "red"}


def info(line: str) -> None:
    """A summary line on stdout: not with --quiet, nor with --json (the report says it)."""
    if OUT.level >= Level.NORMAL and OUT.command is None:
        typer.echo(line)


def detail(line: str) -> None:
    """What --verbose adds, on stderr so that stdout (a diff, a graph) stays what it was."""
    if OUT.level >= Level.VERBOSE:
        typer.echo(styled(line, "bright_black", err=True), err=True)


def product(text: str) -> None:
    """What the command exists to print: printed at every level."""
    typer.echo(text, nl=False)


def error(line: str) -> None:
    """One error line on stderr (with --json, into the report's errors instead)."""
    if OUT.command is not None:
        OUT.report.setdefault("errors", []).append(error_entry(line))
        return
    typer.echo(f"{styled('error:', 'red', err=True, bold=True)} {line}", err=True)


def fail(message: str) -> NoReturn:
    """Report ``message`` as the command's error and exit 1."""
    error(message)
    emit()
    raise typer.Exit(1)


def error_entry(message: str, construct: str | None = None, prop: str | None = None, value: Any = None,
                fix: str | None = None, location: str | None = None) -> dict[str, Any]:
    """An error as the report holds it: the message as printed, and where ShipformError knows them, the
    construct path, the prop, the bad value (as JSON when it is JSON, else its Python repr) and the fix."""
    return {"message": message, "construct": construct, "prop": prop, "value": _json_value(value), "fix": fix,
            "location": location}


def _json_value(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def begin_report(command: str, apps: list[dict[str, Any]] | None = None) -> None:
    """--json: collect instead of printing, until :func:`emit`."""
    OUT.command = command
    OUT.report = {"format": REPORT_FORMAT, "command": command, "apps": apps or [], "notes": [], "errors": []}


def emit() -> None:
    """Print the collected report (once), when --json collects one."""
    if OUT.command is not None:
        report, OUT.command = OUT.report, None
        typer.echo(json.dumps(report, indent=2, sort_keys=False))


# ---------------------------------------------------------------------------------------------- synth and diff

CHANGES = {"+": "added", "~": "changed", "-": "removed"}
"""How the report names a file's change: '+' new, '~' changed, '-' stale (synth removes it)."""
CHECK_LISTED = 50
"""How many differing files `synth --check` lists per app; it counts the rest."""


def shown(path: Path) -> str:
    """A path as messages name it: from the working folder when inside it, else absolute."""
    from shipform.delivery.lock import shown as relative

    return Path(relative(path.absolute())).as_posix()


def folder_name(path: Path) -> str:
    return shown(path).rstrip("/") + "/"


def _files(folders: dict[Path, list[str]]) -> list[tuple[str, str]]:
    """(change sign, shown path) of every file that differs, folder by folder."""
    return [(line[0], shown(folder / line[2:])) for folder, lines in folders.items() for line in lines]


def synth_done(changes: dict[str, dict[Path, list[str]]], notes: list[str], check: bool) -> None:
    """What `synth` and `synth --check` print (or report) once every app is rendered; exit 1 when stale."""
    apps = [{"name": name, "folders": [folder_name(f) for f in folders], "up_to_date": not _files(folders),
             "files": [{"path": path, "change": CHANGES[sign]} for sign, path in _files(folders)]}
            for name, folders in changes.items()]
    if OUT.command is not None:
        OUT.report.update(apps=apps, notes=notes)
    stale = {name: _files(folders) for name, folders in changes.items() if _files(folders)}
    for name, folders in changes.items():
        for sign, path in _files(folders):
            detail(f"{'stale' if check else {'+': 'wrote', '~': 'wrote', '-': 'removed'}[sign]}: "
                   f"{styled(sign, CHANGE_COLOURS[sign], err=True)} {path}")
        if not check:
            written = [folder_name(f) for f, lines in folders.items() if lines]
            count = sum(len(lines) for lines in folders.values())
            info(f"{name}: {count} file(s) written to {' and '.join(written)}" if written
                 else f"{name}: up to date, nothing written ({', '.join(folder_name(f) for f in folders)})")
    if check and not stale:
        info(f"up to date: {', '.join(changes)}")
    for note in notes:
        info(styled(note, "yellow"))
    if check and stale:
        _stale(stale)
    emit()


def _stale(stale: dict[str, list[tuple[str, str]]]) -> NoReturn:
    if OUT.command is None:
        for name, files in stale.items():
            typer.echo(f"{name}: {len(files)} file(s) differ from a fresh synth", err=True)
            for sign, path in files[:CHECK_LISTED]:
                typer.echo(f"  {styled(sign, CHANGE_COLOURS[sign], err=True)} {path}", err=True)
            if len(files) > CHECK_LISTED:
                typer.echo(f"  ... and {len(files) - CHECK_LISTED} more", err=True)
    fail("output is stale. Fix: run `shipform synth` and commit the result")


DIFF_COLOURS = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def _diff_line(line: str) -> str:
    """A diff line as git colours it; the newline stays outside the colour."""
    text = line.rstrip("\n")
    for start, style in DIFF_COLOURS:
        if line.startswith(start):
            text = typer.style(text, bold=True) if style == "bold" else typer.style(text, fg=style)
            break
    return text + line[len(line.rstrip("\n")):]


def diff_done(diffs: dict[str, list[FileDiff]], exit_code: bool) -> None:
    """What `diff` prints (or reports): the unified diffs, else 'no changes'; with --exit-code (or --quiet, as
    `git diff --quiet`) exit 1 when there are differences."""
    lines = [line for files in diffs.values() for f in files for line in f.lines]
    if OUT.command is not None:
        OUT.report["apps"] = [{"name": name, "files": [{"path": f.path, "change": CHANGES[f.change],
                                                        "diff": "".join(f.lines)} for f in files]}
                              for name, files in diffs.items()]
        emit()
    elif OUT.level >= Level.NORMAL:
        product("".join(_diff_line(line) for line in lines) if colour(err=False) else "".join(lines))
        if not lines:
            info("no changes")
    if lines and (exit_code or OUT.level == Level.QUIET):
        raise typer.Exit(1)


# ---------------------------------------------------------------------------------------------- validate

def validation_done(outcomes: list[Outcome]) -> None:
    """What `validate` prints: each finding not accepted as an error line naming file, line, tool and check;
    each tool that did not run, why (a missing tool with its install hint, at every level: never a silent
    pass); per folder a summary; exit 1 on any finding not accepted or any tool that failed."""
    for o in outcomes:
        folder = folder_name(o.folder)
        if o.error is not None:
            error(f"{folder}: {o.result.tool} failed: {o.error}")
        for f in o.failing:
            where = f"{folder}{f.path}" + (f":{f.line}" if f.line else "")
            error(f"{where}: {o.result.tool} {f.check}: {f.message}")
        if o.result.missing:
            typer.echo(f"{styled('skipped:', 'yellow', err=True)} {folder}: {o.result.skipped}", err=True)
        elif o.result.skipped:
            detail(f"{folder}: {o.result.tool} skipped ({o.result.skipped})")
        else:
            detail(f"{folder}: {o.result.tool}: {len(o.failing)} finding(s), {len(o.accepted)} accepted "
                   f"({o.result.seconds:.1f}s)")
            for f, why in o.accepted:
                detail(f"  accepted {f.check} {f.path}: {why}")
    for path in dict.fromkeys(o.folder for o in outcomes):
        mine = [o for o in outcomes if o.folder == path]
        ran = [o for o in mine if not o.result.skipped and o.error is None]
        failing = sum(len(o.failing) for o in mine)
        info(f"{folder_name(path)}: {failing} finding(s) not accepted, {sum(len(o.accepted) for o in mine)} "
             f"accepted; {len(ran)} tool(s) ran, {sum(o.result.missing for o in mine)} not installed")
    if any(o.failed for o in outcomes):
        fail(f"{sum(len(o.failing) for o in outcomes)} finding(s) not accepted"
             + (f", {sum(o.error is not None for o in outcomes)} tool(s) failed"
                if any(o.error for o in outcomes) else "")
             + ". Fix: change the app so the output passes, or state the risk where the tool reads it "
               "(docs/guide/validators.md, \"Validate the output\")")
