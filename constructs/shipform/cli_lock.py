"""`shipform lock` (resolve, record, list) and `shipform promote`: the lock file's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from shipform import console
from shipform.cli_apps import APP_FILE, HELP, fail, load_apps, reported


class _LockGroup(TyperGroup):
    """`shipform lock [APP_FILE] [--env ENV]` resolves digests, `shipform lock record ...` records them: arguments
    that do not start with a subcommand's name (or --help) go to the default command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own (vendored) click.Context
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [_LOCK_DEFAULT, *args]
        return super().parse_args(ctx, args)


_LOCK_DEFAULT = "resolve"
lock_cli = typer.Typer(cls=_LockGroup, no_args_is_help=False, context_settings=HELP, help=(
    "Image identity: digests per Environment in shipform.lock.json beside the app file, which synth pins "
    "images to. `shipform lock [APP_FILE] [--env ENV]` reads the digests of the third-party images the app "
    "runs (databases, image= workloads, upload steps) and of the base images its Dockerfiles pull (app-wide) from "
    "their registries; `shipform lock record` records the images CI built."))
ENV = Annotated[str, typer.Option("--env", help="Environment name (default: every Environment).")]


@lock_cli.command(_LOCK_DEFAULT, hidden=True)
def lock_resolve(app_file: APP_FILE = None, environment: ENV = "") -> None:
    """Read the digest of every third-party image the app runs from its registry and write it into the lock
    file for every Environment that runs it (entries of images no longer run are removed), and the digest of every
    base image the app's Dockerfiles pull into its bases (with or without --env; bases no Dockerfile pulls go)."""
    from shipform.delivery.lock import RegistryErrors, lock_images

    with reported():
        try:
            lines = lock_images(load_apps(app_file), environment or None)
        except RegistryErrors as err:
            for error in err.errors:
                console.error(str(error))
            fail("no digest written. Fix: the lines above say what to do for each image")
    for line in lines:
        console.info(line)


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
    with reported():
        apps = load_apps(app_file)
        where = f"{apps[0].name}/{environment}" if apps else environment
        lines = record_images(apps, environment, args[1:] if app_file else args,
                              pairs(inputs or [], "--inputs", where), pairs(revision or [], "--revision", where),
                              skip_not_built)
    for line in lines:
        console.info(line)


@lock_cli.command("list")
def lock_list(app_file: APP_FILE = None, app: Annotated[str, typer.Option(
        "--app", help="Only the lock file this App uses (default: every App's).")] = "") -> None:
    """Every digest the lock file holds, one per line: SECTION<TAB>IMAGE@DIGEST<TAB>APP, where SECTION is
    environments.<env>, built or any other section of image digests, and APP the App whose build workflow must
    have signed the image ('-' for an image no App builds). What CI's lock trust job checks."""
    from shipform.delivery.lock_entries import list_entries

    with reported():
        lines = list_entries(load_apps(app_file), app or None)
    for line in lines:
        typer.echo(line)


def promote(
    source: Annotated[str, typer.Option("--from", help="The Environment whose verified digests are copied.")],
    target: Annotated[str, typer.Option("--to", help="The Environment that gets them.")],
    app_file: APP_FILE = None,
) -> None:
    """Copy the digests of the images the app builds from one Environment's lock entries to the next's
    (exactly those; third-party entries stay). Exit 1, writing nothing, when one is missing."""
    from shipform.delivery.lock import promote_images

    with reported():
        lines = promote_images(load_apps(app_file), source, target)
    for line in lines:
        console.info(line)
