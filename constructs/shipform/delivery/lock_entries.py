"""Every digest a lock file holds, wherever in the file it is: what CI's lock trust job checks
(``shipform lock list``).

The file is read as :func:`shipform.delivery.lock.read_lock_file` reads it (a damaged file is refused there),
then walked by one rule rather than section by section, so a section added to the file later is listed without a
change here: in any top-level section but ``note``, an entry ``"<image>": "sha256:..."`` or
``"<image>": {"digest": "sha256:...", ...}`` is a digest of that image, and any other object is looked into, its
key becoming part of the section's name (``environments.prod``). Each digest says which App builds the image, by
its name without tag (in any Environment of an App that shares the lock file), or that none does: an image an App
builds must carry the signature of that App's build workflow; any other need only exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipform import spec
from shipform.delivery.lock import read_lock_file, specs_by_lock
from shipform.errors import ShipformError
from shipform.model.stage import App
from shipform.values import checks
from shipform.write import reading


@dataclass(frozen=True)
class Entry:
    """One digest of the lock file: where it is, the image as the file names it, and the App that builds it."""

    section: str
    """'environments.<env>', 'built', or the name of any other section holding digests."""
    image: str
    digest: str
    builder: str | None
    """The App whose build workflow must have signed it; None for an image no App of the lock file builds."""

    def line(self) -> str:
        return "\t".join((self.section, f"{self.image}@{self.digest}", self.builder or "-"))


def repository(image: str) -> str:
    """An image's name without tag or digest (a registry's port is not a tag)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    return name[:name.rfind(":")] if ":" in name[slash + 1:] else name


def digests(data: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(section, image, digest) of every digest in a lock file's JSON, by the rule the module describes."""
    for key, value in data.items():
        if key != "note" and isinstance(value, dict):
            yield from _within(key, value)


def _within(section: str, value: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    for key, item in value.items():
        digest = item.get("digest") if isinstance(item, dict) else item
        if isinstance(digest, str) and checks.matches(checks.DIGEST, digest):
            yield section, key, digest
        elif isinstance(item, dict):
            yield from _within(f"{section}.{key}", item)


def builders(specs: Sequence[spec.App]) -> dict[str, str]:
    """{repository: App} of every image the Apps build, in any of their Environments."""
    found: dict[str, str] = {}
    for app in specs:
        for env in app.environments:
            for w in env.workloads:
                if w.built is not None:
                    found.setdefault(repository(w.image), app.name)
    return found


def entries(path: Path, specs: Sequence[spec.App]) -> list[Entry]:
    """Every digest of the lock file at ``path`` (none without the file), sorted by section and image."""
    read_lock_file(path)  # refuses a damaged file, naming what is wrong
    try:
        data = json.loads(reading.read_bytes(path))
    except FileNotFoundError:
        return []
    built = builders(specs)
    found = {(section, image, digest) for section, image, digest in digests(data)}
    return [Entry(section, image, digest, built.get(repository(image))) for section, image, digest in sorted(found)]


def list_entries(apps: Sequence[App], app: str | None = None) -> list[str]:
    """`shipform lock list`: one line per digest of the apps' lock files (of the one App ``app`` uses, when
    given), ``section<TAB>image@digest<TAB>App`` (``-`` for an image no App builds)."""
    groups = specs_by_lock(apps)
    if app is not None and not any(s.name == app for specs in groups.values() for s in specs):
        raise ShipformError(", ".join(s.name for specs in groups.values() for s in specs), "--app",
                            "is not an App of the app file", app, "pass --app with one of the names before it")
    return [entry.line() for path, specs in groups.items() if app in (None, *(s.name for s in specs))
            for entry in entries(path, specs)]
