"""The `shipform` command. Thin: it runs an app file and hands its apps to the synth pipeline.
cdk8s (and with it Node) is imported only by commands that need it, never by --help or --version, which
also leave out jinja2, PyYAML and rich (tests/cli/test_cli.py lists the modules they load)."""

from __future__ import annotations

import contextlib
import runpy
import shlex
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from shipform import __version__ as VERSION
from shipform.importing.command import import_cli

if TYPE_CHECKING:
    from shipform.model.stage import App

# rich_markup_mode=None: click's plain help, without importing rich (half of `shipform --help`'s time).
cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True, rich_markup_mode=None,
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
        _fail(str(err))
    if data:
        command = data.get("app", "")
        if not isinstance(command, str):
            _fail(f"{config}: 'app' must be a command string, got {command!r}. Fix: write e.g. "
                  "`app: python apps/main.py`, or pass the app file")
        try:
            words = shlex.split(command)
        except ValueError as err:
            _fail(f"{config}: 'app' is not a valid command ({err}), got {command!r}. Fix: write e.g. "
                  "`app: python apps/main.py`, or pass the app file")
        py_files = [part for part in words if part.endswith(".py")]
        if py_files:
            return _shown_path(project / py_files[0]), project
    return _shown_path(project / "apps" / "main.py"), project


def _shown_path(path: Path) -> Path:
    """``path`` relative to the working folder when it is inside it: how messages and tracebacks name it."""
    from shipform.delivery.lock import shown

    return Path(shown(path))


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


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
            _fail(f"{err.filename or path}:{err.lineno}: {err.msg}. Fix: correct the Python syntax of the app file")
        _fail(f"{path} is not Python source ({err}). Fix: pass the Python file that creates your App")
    summary = traceback.TracebackException.from_exception(err)
    _strip_internal_frames(summary, set())
    typer.echo("".join(summary.format()).rstrip("\n"), err=True)
    _fail(f"{path} raised {type(err).__name__}; fix the app file")


def _load_apps(app_file: Path | None) -> list[App]:
    """Run the app file (App.synth() calls inside it are deferred) and return the Apps it created."""
    from shipform.errors import InvalidApp
    from shipform.model.collecting import collect_apps

    path = app_file or default_app_file()
    if not path.is_file():
        _fail(f"app file {path} not found. Fix: pass the file that creates your App")
    folder = str(path.resolve().parent)
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
    if not apps:
        _fail(f"{path} created no shipform App. Fix: create App(...) at module level")
    return apps


APP_FILE = Annotated[Path | None, typer.Argument(
    help="Python file that defines the app(s). Default: the file in cdk8s.yaml 'app', else apps/main.py.")]
OUTDIR = Annotated[str | None, typer.Option(
    "--outdir", "-o", help="Output folder (a subfolder per app), relative to the working folder. Default: "
    "App(outdir=), CDK8S_OUTDIR, cdk8s.yaml's output, else dist, relative to the project root")]


@cli.command()
def synth(
    app_file: APP_FILE = None,
    outdir: OUTDIR = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Compare instead of writing; exit 1 if the output is stale.")] = False,
) -> None:
    """Validate the app, render every file and write it (or, with --check, compare)."""
    from shipform.errors import raise_all
    from shipform.model.ownership import cross_app_errors
    from shipform.synth.pipeline import synth_app

    path, project = located(app_file)
    notes: list[str] = []  # Environments that run images without a digest (see shipform.lock.json)
    with _reported():
        apps = _load_apps(path)
        raise_all(cross_app_errors(apps))
        changes = {a.name: synth_app(a, outdir=outdir, check=check, notes=notes, project=project) for a in apps}
    if check:
        _report_check(changes, notes)
        return
    for name, folders in changes.items():
        written = [folder for folder, lines in folders.items() if lines]
        count = sum(len(lines) for lines in folders.values())
        typer.echo(f"{name}: {count} file(s) written to {' and '.join(_folder(f) for f in written)}" if written
                   else f"{name}: up to date, nothing written ({', '.join(_folder(f) for f in folders)})")
    for note in notes:
        typer.echo(note)


def _folder(path: Path) -> str:
    """A folder as the output names it: from the working folder when inside it, else absolute; with a '/'."""
    return _shown_path(path.absolute()).as_posix().rstrip("/") + "/"


@cli.command()
def diff(
    app_file: APP_FILE = None,
    outdir: OUTDIR = None,
    environment: Annotated[str | None, typer.Option(
        "--env", help="Only this Environment's Kubernetes files.")] = None,
    exit_code: Annotated[bool, typer.Option(
        "--exit-code", help="Exit 1 when there are differences, 0 when there are none (as `git diff`).")] = False,
) -> None:
    """Show, as unified diffs, what `shipform synth` would change in the output (for reviews). Files are named
    by their path from the repository root (a/..., b/...), so `git apply` takes the diff."""
    from shipform.synth.diff import diff_app

    path, project = located(app_file)
    with _reported():
        apps = _load_apps(path)
        known = {e.name for a in apps for e in a.environments}
        if environment is not None and environment not in known:
            _fail(f"Environment {environment!r} is not in the app. Fix: pass one of {', '.join(sorted(known))}")
        lines = [line for a in apps for line in diff_app(a, outdir, environment, project)]
    typer.echo("".join(lines), nl=False)
    if not lines:
        typer.echo("no changes")
    elif exit_code:
        raise typer.Exit(1)


GRAPH_FORMATS = ("mermaid", "dot")
"""What `shipform graph --format` takes (render.graph_text.FORMATS, named here so --help imports no renderer)."""


@cli.command()
def graph(
    app_file: APP_FILE = None,
    environment: Annotated[str | None, typer.Option(
        "--env", help="Only this Environment. Default: every Environment of the app, each in its own box.")] = None,
    format: Annotated[str, typer.Option(
        "--format", metavar="mermaid|dot", help="mermaid (Markdown renders it on GitHub) or dot (Graphviz).")
    ] = "mermaid",
) -> None:
    """Draw the system: per Environment its namespaces, workloads by kind, databases, servers outside the cluster
    and public entry points, each connection labelled with its ports; from the connects_to graph the
    NetworkPolicies and compose networks are made of."""
    if format not in GRAPH_FORMATS:
        _fail(f"--format must be one of {', '.join(GRAPH_FORMATS)}, got {format!r}. Fix: pass --format mermaid or "
              "--format dot")
    from shipform.synth.graph import draw

    path, _ = located(app_file)
    with _reported():
        apps = _load_apps(path)
        known = [e.name for a in apps for e in a.environments]
        if environment is not None and environment not in known:
            _fail(f"Environment {environment!r} is not in the app. Fix: pass one of "
                  f"{', '.join(dict.fromkeys(known))}")
        text = draw(apps, environment, format)
    typer.echo(text, nl=False)


@contextlib.contextmanager
def _reported() -> Iterator[None]:
    """An invalid app or output that cannot be written: the one-line messages, exit 1, no traceback."""
    from shipform.errors import InvalidApp
    from shipform.model.construction import report
    from shipform.write.output_error import OutputError

    try:
        yield
    except InvalidApp as err:
        _fail(report(err))
    except OutputError as err:
        _fail(str(err))


cli.add_typer(import_cli, name="import")


secrets_cli = typer.Typer(help="Secrets by reference: local values for compose, commands for Kubernetes.")
cli.add_typer(secrets_cli, name="secrets")


@secrets_cli.command("init-local")
def secrets_init_local(app_file: APP_FILE = None, outdir: OUTDIR = None) -> None:
    """Create the local secret files compose reads (git-ignored, never in output): a random value for each key
    shipform owns (its databases' passwords), every other value from its SHIPFORM_SECRET_* variable; exit 1 naming
    each such value still missing. Run `shipform synth` first, with the same --outdir."""
    from shipform.delivery.local_secrets import init_local, unset_files
    from shipform.model.validation import validate
    from shipform.synth.pipeline import resolve_outdir

    path, project = located(app_file)
    unset: list[str] = []
    with _reported():
        for app in _load_apps(path):
            validate(app)
            folder = resolve_outdir(app, outdir, project)
            created = init_local(app, folder)
            typer.echo(f"{app.name}: {len(created)} local secret file(s) created")
            for path in created:
                typer.echo(f"  {path}")
            unset += unset_files(app, folder)
    for line in unset:
        typer.echo(f"error: {line}", err=True)
    if unset:
        raise typer.Exit(1)


@secrets_cli.command("kubectl")
def secrets_kubectl(app_file: APP_FILE = None,
                    environment: Annotated[str, typer.Option("--env", help="Environment name.")] = "") -> None:
    """Print a shell script of the kubectl commands that create every referenced Secret: one random value per key
    shipform owns (its databases' passwords), shared by every namespace that references it; every other value from
    a SHIPFORM_SECRET_* variable, and the script stops, naming each, while one is unset."""
    from shipform.model.validation import validate
    from shipform.render.secret_commands import kubectl_create_commands

    with _reported():
        apps = _load_apps(app_file)
        for app in apps:
            validate(app)
        known = [env.name for app in apps for env in app.environments]
        if environment and environment not in known:
            _fail(f"no Environment {environment!r} in {', '.join(a.name for a in apps)}. Fix: pass --env with one "
                  f"of {', '.join(dict.fromkeys(known))}")
        for app in apps:
            for env in app.environments:
                if environment in ("", env.name):
                    for line in kubectl_create_commands(env.to_spec()):
                        typer.echo(line)


class _LockGroup(TyperGroup):
    """`shipform lock [APP_FILE] [--env ENV]` resolves digests, `shipform lock record ...` records them: arguments
    that do not start with a subcommand's name (or --help) go to the default command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own (vendored) click.Context
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [_LOCK_DEFAULT, *args]
        return super().parse_args(ctx, args)


_LOCK_DEFAULT = "resolve"
lock_cli = typer.Typer(cls=_LockGroup, no_args_is_help=False, help=(
    "Image identity: digests per Environment in shipform.lock.json beside the app file, which synth pins "
    "images to. `shipform lock [APP_FILE] [--env ENV]` reads the digests of the third-party images the app "
    "runs (databases, image= workloads, upload steps) from their registries; `shipform lock record` records "
    "the images CI built."))
cli.add_typer(lock_cli, name="lock")
ENV = Annotated[str, typer.Option("--env", help="Environment name (default: every Environment).")]


@lock_cli.command(_LOCK_DEFAULT, hidden=True)
def lock_resolve(app_file: APP_FILE = None, environment: ENV = "") -> None:
    """Read the digest of every third-party image the app runs from its registry and write it into the lock
    file for every Environment that runs it (entries of images no longer run are removed)."""
    from shipform.delivery.lock import RegistryErrors, lock_images

    with _reported():
        try:
            lines = lock_images(_load_apps(app_file), environment or None)
        except RegistryErrors as err:
            for error in err.errors:
                typer.echo(f"error: {error}", err=True)
            _fail("no digest written. Fix: the lines above say what to do for each image")
    for line in lines:
        typer.echo(line)


@lock_cli.command("record")
def lock_record(
    args: Annotated[list[str], typer.Argument(
        metavar="[APP_FILE] IMAGE@sha256:DIGEST...",
        help="The app file (optional, first), then each pushed image as name[:tag]@sha256:<64 hex>.")],
    environment: Annotated[str, typer.Option("--env", help="The Environment the images are recorded for.")],
    inputs: Annotated[list[str] | None, typer.Option(
        "--inputs", metavar="IMAGE=TREE+BLOB",
        help="What an image was built from: its build context's tree and its Dockerfile's blob "
             "(`git rev-parse HEAD:<path>`, joined by '+'); the next build of the same inputs reuses the "
             "digest.")] = None,
    revision: Annotated[list[str] | None, typer.Option(
        "--revision", metavar="IMAGE=COMMIT", help="The last commit that changed an image's inputs.")] = None,
    skip_not_built: Annotated[bool, typer.Option(
        "--skip-not-built", help="Leave out, with a note, images the app no longer builds in ENV (instead of "
                                 "refusing them).")] = False,
) -> None:
    """CI: record the digests of the images it built and pushed (images the app builds in that Environment)."""
    from shipform.delivery.lock_record import pairs, record_images

    app_file = Path(args[0]) if args and "@" not in args[0] else None
    with _reported():
        apps = _load_apps(app_file)
        where = f"{apps[0].name}/{environment}" if apps else environment
        lines = record_images(apps, environment, args[1:] if app_file else args,
                              pairs(inputs or [], "--inputs", where), pairs(revision or [], "--revision", where),
                              skip_not_built)
    for line in lines:
        typer.echo(line)


@cli.command()
def promote(
    source: Annotated[str, typer.Option("--from", help="The Environment whose verified digests are copied.")],
    target: Annotated[str, typer.Option("--to", help="The Environment that gets them.")],
    app_file: APP_FILE = None,
) -> None:
    """Copy the digests of the images the app builds from one Environment's lock entries to the next's
    (exactly those; third-party entries stay). Exit 1, writing nothing, when one is missing."""
    from shipform.delivery.lock import promote_images

    with _reported():
        lines = promote_images(_load_apps(app_file), source, target)
    for line in lines:
        typer.echo(line)


CHECK_LISTED = 50
"""How many differing files `synth --check` lists per app; it counts the rest."""


def _report_check(stale: dict[str, dict[Path, list[str]]], notes: list[str]) -> None:
    changed = {name: [f"{line[:2]}{_shown_path((folder / line[2:]).absolute()).as_posix()}"
                      for folder, lines in folders.items() for line in lines]
               for name, folders in stale.items()}
    changed = {name: lines for name, lines in changed.items() if lines}
    if not changed:
        typer.echo(f"up to date: {', '.join(stale)}")
    for note in notes:
        typer.echo(note)
    if not changed:
        return
    for name, lines in changed.items():
        typer.echo(f"{name}: {len(lines)} file(s) differ from a fresh synth", err=True)
        for line in lines[:CHECK_LISTED]:
            typer.echo(f"  {line}", err=True)
        if len(lines) > CHECK_LISTED:
            typer.echo(f"  ... and {len(lines) - CHECK_LISTED} more", err=True)
    _fail("output is stale. Fix: run `shipform synth` and commit the result")


def main() -> None:
    cli()
