"""The `shipform` command. Thin: it runs an app file and hands its apps to the synth pipeline.
cdk8s (and with it Node) is imported only by commands that need it, never by --help or --version, which
also leave out jinja2, PyYAML and rich (tests/cli/test_cli.py lists the modules they load)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from shipform import __version__ as VERSION
from shipform import console
from shipform.cli_apps import APP_FILE, HELP, JSON, OUTDIR, fail, load_apps, located, reported
from shipform.cli_lock import lock_cli, promote
from shipform.importing.command import import_cli

# rich_markup_mode=None: click's plain help, without importing rich (half of `shipform --help`'s time). Shell
# completion (--install-completion, --show-completion) costs --help no heavy module: typer's completion code needs
# only shellingham; completing runs no command, so no app file either.
cli = typer.Typer(pretty_exceptions_enable=False, no_args_is_help=True, rich_markup_mode=None, context_settings=HELP,
                  help="Synthesize Dockerfiles, compose and Kubernetes YAML from a shipform app.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shipform {VERSION}")
        raise typer.Exit()


@cli.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only (and what a command exists to "
                                        "print: a diff, a graph, a script).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also say, on stderr, what was read and each "
                                          "file written, removed or found stale.")] = False,
) -> None:
    """shipform: one Python definition, every deployment artifact."""
    if quiet and verbose:
        console.configure(console.Level.NORMAL)
        fail("--quiet and --verbose contradict each other. Fix: pass one of them")
    console.configure(console.Level.QUIET if quiet else console.Level.VERBOSE if verbose else console.Level.NORMAL)


@cli.command()
def synth(
    app_file: APP_FILE = None,
    outdir: OUTDIR = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Compare instead of writing; exit 1 if the output is stale.")] = False,
    json_report: JSON = False,
) -> None:
    """Validate the app, render every file and write it (or, with --check, compare)."""
    from shipform.errors import raise_all
    from shipform.model.ownership import cross_app_errors
    from shipform.synth.pipeline import synth_app

    if json_report:
        console.begin_report("synth --check" if check else "synth")
    path, project = located(app_file)
    notes: list[str] = []  # Environments that run images without a digest (see shipform.lock.json)
    with reported():
        apps = load_apps(path)
        raise_all(cross_app_errors(apps))
        changes = {a.name: synth_app(a, outdir=outdir, check=check, notes=notes, project=project) for a in apps}
    console.synth_done(changes, notes, check)


@cli.command()
def diff(
    app_file: APP_FILE = None,
    outdir: OUTDIR = None,
    environment: Annotated[str | None, typer.Option(
        "--env", help="Only this Environment's Kubernetes files.")] = None,
    exit_code: Annotated[bool, typer.Option(
        "--exit-code", help="Exit 1 when there are differences, 0 when there are none (as `git diff`).")] = False,
    json_report: JSON = False,
) -> None:
    """Show, as unified diffs, what `shipform synth` would change in the output (for reviews). Files are named
    by their path from the repository root (a/..., b/...), so `git apply` takes the diff. With --quiet: nothing
    printed, exit 1 when there are differences (as `git diff --quiet`)."""
    from shipform.synth.diff import file_diffs

    if json_report:
        console.begin_report("diff")
    path, project = located(app_file)
    with reported():
        apps = load_apps(path)
        known = {e.name for a in apps for e in a.environments}
        if environment is not None and environment not in known:
            fail(f"Environment {environment!r} is not in the app. Fix: pass one of {', '.join(sorted(known))}")
        diffs = {a.name: file_diffs(a, outdir, environment, project) for a in apps}
    console.diff_done(diffs, exit_code)


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
        fail(f"--format must be one of {', '.join(GRAPH_FORMATS)}, got {format!r}. Fix: pass --format mermaid or "
              "--format dot")
    from shipform.synth.graph import draw

    path, _ = located(app_file)
    with reported():
        apps = load_apps(path)
        known = [e.name for a in apps for e in a.environments]
        if environment is not None and environment not in known:
            fail(f"Environment {environment!r} is not in the app. Fix: pass one of "
                  f"{', '.join(dict.fromkeys(known))}")
        text = draw(apps, environment, format)
    console.product(text)


@cli.command()
def validate(
    folder: Annotated[Path | None, typer.Argument(
        help="An output folder. Default: each app's output folder (of the app file synth would run).")] = None,
    sarif: Annotated[Path | None, typer.Option(
        "--sarif", metavar="FILE", help="Also write the findings as SARIF 2.1.0, one run per tool.")] = None,
) -> None:
    """Run the validators shipform's own CI pins (hadolint, dockerfilelint, checkov, trivy, kubernetes-validate and
    the published CRD schemas, yamllint, check-jsonschema, docker-compose config, compose-lint, dclint,
    actionlint, zizmor) over synthesized output, offline and without configuration, honouring only the risks
    the output accepts with its reason; exit 1 on any other finding. A tool not installed is skipped, saying
    how to install it."""
    from shipform.validators.run import validate as run_validators

    folders = [folder] if folder is not None else _output_folders()
    for path in folders:
        if not path.is_dir():
            fail(f"{path} is not a folder. Fix: run `shipform synth` first, or pass the output folder to check")
    outcomes = run_validators(folders)
    if sarif is not None:
        _write_sarif(sarif, outcomes)
    console.validation_done(outcomes)


def _output_folders() -> list[Path]:
    """Each app's output folder, as synth writes it."""
    from shipform.synth.pipeline import resolve_outdir

    path, project = located(None)
    with reported():
        return [resolve_outdir(app, None, project) / app.name for app in load_apps(path)]


def _write_sarif(path: Path, outcomes: list[Any]) -> None:
    import json

    from shipform.validators.sarif import sarif

    try:
        path.write_text(json.dumps(sarif(outcomes), indent=2) + "\n")
    except OSError as err:
        fail(f"cannot write {path} ({err.strerror}). Fix: pass --sarif a file in a folder you can write")
    console.detail(f"wrote: {path}")


@cli.command()
def init(
    name: Annotated[str | None, typer.Argument(
        metavar="NAME", help="The App's name, a DNS label. Default: the working folder's name.", show_default=False)
    ] = None,
    preset: Annotated[str, typer.Option(
        "--preset", metavar="python|node|go", help="The language of the service's server.")] = "python",
) -> None:
    """Start a repository in the working folder: app.py (a service built from source and its database, a local
    and a prod Environment), the service's server under services/, cdk8s.yaml, pyproject.toml, tests and
    .gitignore. A file that exists is kept, never overwritten; what that means is said."""
    from shipform.delivery.init import init_project

    folder = Path.cwd()
    with reported():
        outcome = init_project(folder, name, preset)
    for path in outcome.created:
        console.info(f"created {path}")
    for path in outcome.kept:
        console.info(f"kept {path} ({'it exists' if path in outcome.changed else 'as init writes it'}; not changed)")
    console.info(f"{outcome.name}: {len(outcome.created)} file(s) created in {console.folder_name(folder)} "
                 f"({outcome.preset} preset), {len(outcome.kept)} kept")
    for line in outcome.advice:
        console.info(f"to do: {line}")
    console.info(f"next: shipform synth (writes {outcome.output}/{outcome.name}/ and .github/workflows/: commit them), "
               "then pytest")
    console.info(f"locally: shipform secrets init-local && docker compose -f {outcome.output}/{outcome.name}/compose/"
               "compose.yaml up --build")


cli.add_typer(import_cli, name="import")


secrets_cli = typer.Typer(context_settings=HELP,
                          help="Secrets by reference: local values for compose, commands for Kubernetes.")
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
    with reported():
        for app in load_apps(path):
            validate(app)
            folder = resolve_outdir(app, outdir, project)
            created = init_local(app, folder)
            console.info(f"{app.name}: {len(created)} local secret file(s) created")
            for path in created:
                console.info(f"  {path}")
            unset += unset_files(app, folder)
    for line in unset:
        console.error(line)
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

    with reported():
        apps = load_apps(app_file)
        for app in apps:
            validate(app)
        known = [env.name for app in apps for env in app.environments]
        if environment and environment not in known:
            fail(f"no Environment {environment!r} in {', '.join(a.name for a in apps)}. Fix: pass --env with one "
                  f"of {', '.join(dict.fromkeys(known))}")
        for app in apps:
            for env in app.environments:
                if environment in ("", env.name):
                    for line in kubectl_create_commands(env.to_spec()):
                        typer.echo(line)


cli.add_typer(lock_cli, name="lock")
cli.command()(promote)


def main() -> None:
    cli()
