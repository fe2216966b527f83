"""`shipform init`: a new product repository that works at once. ``app.py`` holds an App with one WebService built
from source with a language preset and the StatefulDB it connects to, in a local Environment (compose) and a prod
Environment that meets the rules for clusters; ``services/<service>/`` holds a minimal HTTP server with the health
endpoint the probes ask; ``pyproject.toml`` declares shipform as CI installs it; ``tests/`` checks the app with
:mod:`shipform.testing`; ``cdk8s.yaml`` names the app file and the output folder.

Into an existing folder nothing is overwritten: a path that exists (a file, a folder, a symlink) is kept as it is
and reported, and what the kept files mean for the rest is said (:mod:`shipform.delivery.init_advice`). Nothing
is written outside the folder or through a symlink (:mod:`shipform.delivery.init_files`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from shipform._version import __version__
from shipform.delivery import init_advice, init_files
from shipform.delivery.init_advice import APP_FILE, OUTPUT
from shipform.errors import ShipformError
from shipform.model.build import PRESETS
from shipform.model.engines import ENGINES
from shipform.render.templating import environment
from shipform.values import checks
from shipform.values.nearest import did_you_mean

SERVICE = "api"
"""The service's name in app.py, and its folder under services/."""
HEALTH = "/healthz"
"""The path of the health endpoint: the probes of app.py and the route of each preset's server."""
ENGINE = "postgres"
SQL_NAME = "app"
"""The database's user and database name where the App's name, their default, is not one the engine takes."""
BUCKET_SUFFIX = "-backups"
BUCKET_MAX = 63


@dataclass(frozen=True)
class Starter:
    """What one preset's service is: its port, the Build of app.py and its files (templates under
    ``init/<preset>/``, written to ``services/<service>/`` without the ``.j2``)."""

    port: int
    build: str
    files: tuple[str, ...]


STARTERS: dict[str, Starter] = {
    "python": Starter(8000, f'Build.python("services/{SERVICE}", ["python", "server.py"])',
                      ("server.py", "requirements.txt")),
    "node": Starter(3000, f'Build.node("services/{SERVICE}", ["node", "server.js"])',
                    ("server.js", "package.json", "package-lock.json")),
    "go": Starter(8080, f'Build.go("services/{SERVICE}")', ("main.go", "go.mod")),
}
"""The presets `shipform init --preset` offers, each a server in the language's standard library alone."""

PROJECT_FILES = {APP_FILE: "app.py.j2", "cdk8s.yaml": "cdk8s.yaml.j2", "pyproject.toml": "pyproject.toml.j2",
                 ".gitignore": "gitignore.j2", "tests/test_app.py": "test_app.py.j2"}
"""The repository's own files, by path, and their templates under ``init/``."""


@dataclass(frozen=True)
class Outcome:
    """What init did: the paths it created, those it kept (they existed), and what to do about the kept ones."""

    name: str
    preset: str
    created: tuple[str, ...]
    kept: tuple[str, ...]
    changed: tuple[str, ...]
    """The kept paths whose content is not what init would have written."""
    advice: tuple[str, ...]
    output: str = OUTPUT


def app_name(folder: Path, name: str | None) -> str:
    """``name``, or the folder's name, checked as an App name (a DNS label)."""
    given = name is not None
    value = name if name is not None else folder.name
    if isinstance(value, str) and checks.is_dns_label(value, 63):
        return value
    suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:63].rstrip("-") or "my-app"
    problem = "must be a DNS label (lowercase letters, digits and '-', at most 63), as an App's name"
    where = "" if given else f" (the name of the folder {folder})"
    raise ShipformError("init", "NAME", problem + where, value,
                        f"pass a name, e.g. `shipform init {suggestion}`")


def preset_of(preset: str) -> str:
    if preset in STARTERS:
        return preset
    choices = ", ".join(STARTERS)
    raise ShipformError("init", "--preset", f"must be one of {choices}", preset,
                        f"{did_you_mean(preset, STARTERS)}pass --preset with one of {choices}")


def database_props(name: str) -> str:
    """The StatefulDB props app.py passes for its user and database name, which default to the App's name: only
    where that name is not one the engine takes (a DNS label may start with a digit, be longer than a user name
    may, or be a user the engine keeps for itself)."""
    props = []
    if not _sql_name(name, 63):
        props.append(f'database="{SQL_NAME}"')
    if not _sql_name(name, 32) or name in ENGINES[ENGINE].reserved_users:
        props.append(f'user="{SQL_NAME}"')
    return "".join(f", {prop}" for prop in props)


def _sql_name(name: str, max_len: int) -> bool:
    try:
        checks.sql_name("", "", name, max_len)
    except ShipformError:
        return False
    return True


def project_files(name: str, preset: str) -> dict[str, str]:
    """{path in the repository: text} of a new repository for the App ``name`` whose service uses ``preset``."""
    starter = STARTERS[preset]
    bucket = f"{name[:BUCKET_MAX - len(BUCKET_SUFFIX)].rstrip('-')}{BUCKET_SUFFIX}"
    go_version = ".".join(PRESETS["go"].default_version.split(".")[:2])  # go.mod's `go` line: the toolchain's
    context = {"name": name, "preset": preset, "service": SERVICE, "health": HEALTH, "port": starter.port,
               "build": starter.build, "output": OUTPUT, "bucket": bucket, "shipform_version": __version__,
               "go_version": go_version, "engine": ENGINE, "engine_version": newest(ENGINES[ENGINE].versions),
               "database_props": database_props(name)}
    files = {path: fill(f"init/{template}", context) for path, template in PROJECT_FILES.items()}
    files |= {f"services/{SERVICE}/{file}": fill(f"init/{preset}/{file}.j2", context) for file in starter.files}
    return files


def newest(versions: Iterable[str]) -> str:
    """The newest of an engine's supported versions ('17' of '15', '16', '17')."""
    return max(versions, key=lambda version: tuple(int(part) for part in version.split(".")))


def fill(template: str, context: dict[str, object]) -> str:
    """The template filled in: through the one Jinja environment, whose ``render`` takes ``name`` itself."""
    return environment().get_template(template).render(**context)


def init_project(folder: Path, name: str | None, preset: str) -> Outcome:
    """Create the repository's files in ``folder`` (which exists), keeping every path that exists; a ShipformError
    for a bad name or preset and an OutputError for a path that cannot be written, both before anything is."""
    name = app_name(folder, name)
    preset = preset_of(preset)
    files = project_files(name, preset)
    created, kept = init_files.create(folder, files)
    changed = tuple(path for path in kept if not init_files.holds(folder / path, files[path]))
    advice = init_advice.advice(folder, name, changed, created, service_folder=f"services/{SERVICE}/",
                                service=f"'{SERVICE}' ({preset} preset, port {STARTERS[preset].port}, health "
                                        f"endpoint {HEALTH})")
    return Outcome(name, preset, created, kept, changed, advice)
