"""``shipform import compose FILE -o app.py``: the typer commands, light at import (the work is imported inside
the command, so ``shipform --help`` stays fast)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import_cli = typer.Typer(help="Write a shipform app from what a team already has.", no_args_is_help=True)


@import_cli.command("compose")
def import_compose_command(
    file: Annotated[Path, typer.Argument(help="The compose file (docker-compose.yml, compose.yaml, ...).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The app file to write.")] = Path("app.py"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite the app file and its secrets file.")] = False,
) -> None:
    """Write a typed, hardened shipform app from a compose file: services with build: become built workloads,
    database images StatefulDBs, queue servers Externals, depends_on/links/networks/host names connects_to,
    literal credentials SecretRefs (their values in <app>.secrets.env beside it, never in the app). What
    cannot be mapped is a `# compose:` comment in the app. Never overwrites a file without --force."""
    from shipform.errors import ShipformError
    from shipform.importing.writing import write_import

    try:
        written = write_import(file, output, force)
    except ShipformError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    for path in written:
        typer.echo(f"wrote {path}")
    hint = install_hint(output)
    if hint:
        typer.echo(f"next: {hint}")
    typer.echo(f"next: shipform synth {output}")


def install_hint(output: Path) -> str:
    """What the project needs before synth, which renders CI that installs shipform: a dependency declaration."""
    from shipform.delivery.install import install_of
    from shipform.delivery.repository import project_root
    from shipform.errors import ShipformError

    try:
        install_of(project_root(output.parent.resolve()), "app")
    except ShipformError as err:
        return err.fix
    return ""
