"""The `shipform` command. Thin: it runs an app file and hands its apps to the synth pipeline.
cdk8s (and with it Node) is imported only by commands that need it, never by --help or --version."""

from __future__ import annotations

import runpy
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from shipform import __version__ as VERSION

if TYPE_CHECKING:
    from shipform.model.stage import AppBase

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


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _load_apps(app_file: Path | None) -> list[AppBase]:
    """Run the app file (App.synth() calls inside it are deferred) and return the Apps it created."""
    from shipform.model.stage import collect_apps

    path = app_file or default_app_file()
    if not path.is_file():
        _fail(f"app file {path} not found. Fix: pass the file that creates your App")
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        with collect_apps(defer_synth=True) as apps:
            runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.path.remove(folder)
    if not apps:
        _fail(f"{path} created no shipform App. Fix: create App(...) at module level")
    return apps


APP_FILE = Annotated[Path | None, typer.Argument(
    help="Python file that defines the app(s). Default: the file in cdk8s.yaml 'app', else apps/main.py.")]
OUTDIR = Annotated[str | None, typer.Option(
    "--outdir", "-o", help="Output folder (a subfolder per app). Default: CDK8S_OUTDIR, cdk8s.yaml, dist")]


@cli.command()
def synth(
    app_file: APP_FILE = None,
    outdir: OUTDIR = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Compare instead of writing; exit 1 if the output is stale.")] = False,
) -> None:
    """Validate the app, render every file and write it (or, with --check, compare)."""
    from shipform.errors import InvalidApp
    from shipform.synth.pipeline import synth_app

    try:
        changes = {a.name: synth_app(a, outdir=outdir, check=check) for a in _load_apps(app_file)}
    except InvalidApp as err:
        _fail(str(err))
    if check:
        _report_check(changes)
        return
    for name, lines in changes.items():
        typer.echo(f"{name}: {len(lines)} file(s) written" if lines else f"{name}: up to date, nothing written")


secrets_cli = typer.Typer(help="Secrets by reference: local values for compose, commands for Kubernetes.")
cli.add_typer(secrets_cli, name="secrets")


@secrets_cli.command("init-local")
def secrets_init_local(app_file: APP_FILE = None, outdir: OUTDIR = None) -> None:
    """Create random local values for every secret compose references (git-ignored, never in output)."""
    from shipform.errors import InvalidApp
    from shipform.synth.local_secrets import init_local
    from shipform.synth.pipeline import resolve_outdir

    try:
        for app in _load_apps(app_file):
            created = init_local(app, resolve_outdir(app, outdir))
            typer.echo(f"{app.name}: {len(created)} local secret file(s) created")
            for path in created:
                typer.echo(f"  {path}")
    except InvalidApp as err:
        _fail(str(err))


@secrets_cli.command("kubectl")
def secrets_kubectl(app_file: APP_FILE = None,
                    environment: Annotated[str, typer.Option("--env", help="Environment name.")] = "") -> None:
    """Print the kubectl commands that create every referenced Secret with random values."""
    from shipform.render.external_secrets import kubectl_create_commands

    for app in _load_apps(app_file):
        for env in app.environments:
            if environment in ("", env.name):
                for line in kubectl_create_commands(env.to_spec()):
                    typer.echo(line)


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
