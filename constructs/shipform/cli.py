"""The `shipform` command. Thin: it runs an app file and hands its apps to the synth pipeline.
cdk8s (and with it Node) is imported only by commands that need it, never by --help or --version."""

from __future__ import annotations

import runpy
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from shipform import __version__ as VERSION

cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Synthesize Dockerfiles, compose and Kubernetes YAML from a shipform app.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shipform {VERSION}")
        raise typer.Exit()


@cli.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """shipform: one Python definition, every deployment artifact."""


def default_app_file() -> Path:
    """The Python file named by cdk8s.yaml's 'app' command, else apps/main.py."""
    config = Path("cdk8s.yaml")
    if config.is_file():
        import yaml

        command = (yaml.safe_load(config.read_text()) or {}).get("app", "")
        py_files = [part for part in shlex.split(str(command)) if part.endswith(".py")]
        if py_files:
            return Path(py_files[0])
    return Path("apps/main.py")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@cli.command()
def synth(
    app_file: Annotated[Path | None, typer.Argument(
        help="Python file that defines the app(s). Default: the file in cdk8s.yaml 'app', else apps/main.py.")] = None,
    outdir: Annotated[str | None, typer.Option(
        "--outdir", "-o", help="Output folder (a subfolder per app). Default: CDK8S_OUTDIR, cdk8s.yaml, dist")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Compare instead of writing; exit 1 if the output is stale.")] = False,
) -> None:
    """Validate the app, render every file and write it (or, with --check, compare)."""
    import shipform.app as app_module
    from shipform.errors import ShipformError
    from shipform.synth import synth_app

    path = app_file or default_app_file()
    if not path.is_file():
        _fail(f"app file {path} not found. Fix: pass the file that creates your App")
    app_module._created_apps.clear()
    app_module._deferred = True
    sys.path.insert(0, str(path.resolve().parent))
    try:
        runpy.run_path(str(path), run_name="__main__")
        apps = list(app_module._created_apps)
        if not apps:
            _fail(f"{path} created no shipform App. Fix: create App(...) at module level")
        stale = {a.name: synth_app(a, outdir=outdir, check=check) for a in apps}
    except ShipformError as err:
        _fail(str(err))
    finally:
        app_module._deferred = False
        sys.path.remove(str(path.resolve().parent))
    if check:
        _report_check(stale)


def _report_check(stale: dict[str, list[str]]) -> None:
    changed = {name: paths for name, paths in stale.items() if paths}
    if not changed:
        typer.echo(f"up to date: {', '.join(stale)}")
        return
    for name, paths in changed.items():
        typer.echo(f"{name}: {len(paths)} file(s) differ from a fresh synth", err=True)
        for line in paths[:50]:
            typer.echo(f"  {line}", err=True)
    _fail("output is stale. Fix: run `shipform synth` and commit the result")


def main() -> None:
    cli()
