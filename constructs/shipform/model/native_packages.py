"""The Debian packages that well-known Python distributions need, found in the resolved dependencies of a build
context: C headers and tools to compile them in the build stage, shared libraries to load them at run time.

Names come from the lockfile's own records (uv.lock, poetry.lock and pdm.lock packages, Pipfile.lock's default
section, requirements.txt requirements),
compared after PEP 503 normalization: never a substring of a line, so 'psycopg2-binary' (a wheel with libpq inside)
needs nothing while 'psycopg2' (built from source) needs libpq.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shipform.errors import ShipformError
from shipform.write import reading

# PyPI name: (build packages, runtime packages), for Debian bookworm (the pinned base images' release).
PYTHON: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "psycopg2": (("gcc", "libpq-dev"), ("libpq5",)),
    # psycopg 3 without its binary extra loads the system's libpq at run time; its C extension (psycopg[c]) is
    # compiled against libpq at install time.
    "psycopg": ((), ("libpq5",)),
    "psycopg-c": (("gcc", "libpq-dev"), ("libpq5",)),
    "mysqlclient": (("gcc", "pkg-config", "default-libmysqlclient-dev"), ("libmariadb3",)),
    "pycairo": (("gcc", "pkg-config", "libcairo2-dev"), ("libcairo2",)),
    "cairocffi": ((), ("libcairo2",)),
    "python-ldap": (("gcc", "libldap2-dev", "libsasl2-dev"), ("libldap-2.5-0", "libsasl2-2")),
    "pyodbc": ((), ("libodbc2",)),
    "python-magic": ((), ("libmagic1",)),
    "pyvips": ((), ("libvips42",)),
    "weasyprint": ((), ("libpango-1.0-0", "libpangoft2-1.0-0")),
    "uwsgi": (("gcc",), ()),
}
# Distributions that bring their own copy of the library, so the one above needs nothing.
PROVIDED_BY = {"psycopg": ("psycopg-binary",)}
# What a requirement's extra installs, from the distributions' own metadata (``Provides-Extra`` and the
# ``Requires-Dist`` it marks): 'psycopg[binary]' is psycopg and psycopg-binary. A lockfile lists them resolved;
# a requirements file names the extra alone.
EXTRAS = {("psycopg", "binary"): ("psycopg-binary",), ("psycopg", "c"): ("psycopg-c",)}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


LOCKING = {"uv.lock": "uv lock", "poetry.lock": "poetry lock", "pdm.lock": "pdm lock", "Pipfile.lock": "pipenv lock"}
"""The command that writes each lockfile again."""


def python_packages(path: str, context: Path, layout: str) -> tuple[tuple[str, ...], tuple[str, ...],
                                                                     tuple[str, ...]]:
    """(found distributions, build packages, runtime packages) for the dependencies the image installs; a
    ShipformError naming the construct ``path`` when the lockfile cannot be read."""
    try:
        names = _installed(context, layout)
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as err:  # parse errors are ValueErrors
        raise ShipformError(path, "build", f"{layout} cannot be read ({type(err).__name__}: {err})",
                            str(context / layout), f"write it again with `{LOCKING.get(layout, 'pip freeze')}` in "
                            "the build context") from None
    found = sorted(n for n in names if n in PYTHON and not any(p in names for p in PROVIDED_BY.get(n, ())))
    build = _union(PYTHON[n][0] for n in found)
    runtime = _union(PYTHON[n][1] for n in found)
    return tuple(found), build, runtime


def _union(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    result: list[str] = []
    for group in groups:
        result += [p for p in group if p not in result]
    return tuple(result)


def _installed(context: Path, layout: str) -> set[str]:
    if layout == "uv.lock":
        return _uv(tomllib.loads(reading.read_text(context / "uv.lock")))
    if layout == "poetry.lock":
        return _poetry(tomllib.loads(reading.read_text(context / "poetry.lock")))
    if layout == "pdm.lock":
        return _pdm(tomllib.loads(reading.read_text(context / "pdm.lock")))
    if layout == "Pipfile.lock":
        return _pipfile(json.loads(reading.read_text(context / "Pipfile.lock")).get("default", {}))
    return _requirements(context / "requirements.txt", context, set())


def _pipfile(default: object) -> set[str]:
    """The default section's packages, with what their ``extras`` install."""
    if not isinstance(default, dict):
        return set()
    names = set()
    for name, entry in default.items():
        extras = entry.get("extras", []) if isinstance(entry, dict) else []
        names |= requirement_names(f"{name}[{','.join(str(e) for e in extras)}]")
    return names


def _packages(lock: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``[[package]]`` tables of a TOML lockfile (uv, poetry, pdm)."""
    packages = lock.get("package", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise ValueError("'package' is not a list of tables")
    return packages


def _uv(lock: dict[str, Any]) -> set[str]:
    """What `uv sync --no-dev` installs: the project's dependencies and theirs, with the extras each dependency
    names (``{ name = "psycopg", extra = ["binary"] }`` installs psycopg's optional dependencies 'binary'), not
    its dev groups."""
    packages = {normalize(p["name"]): p for p in _packages(lock)}
    roots = [n for n, p in packages.items() if {"editable", "virtual"} & set(p.get("source", {}))]
    seen: set[str] = set()
    todo = [(name, tuple(packages[name].get("optional-dependencies", {}))) for name in roots]
    done: set[tuple[str, str | None]] = set()
    while todo:
        name, extras = todo.pop()
        if name not in packages:
            continue
        seen.add(name)
        package = packages[name]
        optional = package.get("optional-dependencies", {})
        for part in (None, *extras):
            if (name, part) in done:
                continue
            done.add((name, part))
            todo += [(normalize(d["name"]), tuple(d.get("extra", ()))) for d in
                     (package.get("dependencies", []) if part is None else optional.get(part, []))
                     if isinstance(d, dict)]
    return seen - set(roots)


def _poetry(lock: dict[str, Any]) -> set[str]:
    """What `poetry export --only main` lists: packages of the main group (poetry 2: groups; 1.x: category)."""
    names = set()
    for p in _packages(lock):
        groups = p.get("groups")
        if (groups is not None and "main" not in groups) or p.get("category", "main") != "main":
            continue
        names.add(normalize(p["name"]))
    return names


def _pdm(lock: dict[str, Any]) -> set[str]:
    """What `pdm export --prod` lists: packages of the default group."""
    return {normalize(p["name"]) for p in _packages(lock) if "default" in p.get("groups", ["default"])}


_REQUIREMENT = re.compile(r"\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[(?P<extras>[^\]]*)\])?")
"""A PEP 508 requirement's name and extras ('psycopg [binary, pool] >= 3.2 ; python_version >= "3.9"')."""


def requirement_names(line: str) -> set[str]:
    """The distributions one requirement line installs that :data:`PYTHON` and :data:`PROVIDED_BY` can name: the
    requirement itself and what its extras bring (:data:`EXTRAS`); none for a line that is no requirement."""
    found = _REQUIREMENT.match(line)
    if found is None:
        return set()
    name = normalize(found["name"])
    extras = (normalize(e.strip()) for e in (found["extras"] or "").split(",") if e.strip())
    return {name} | {d for e in extras for d in EXTRAS.get((name, e), ())}


def _requirements(path: Path, context: Path, seen: set[Path]) -> set[str]:
    """Requirement names of a requirements file and the files it includes (-r) inside the context."""
    if path in seen or not path.is_file() or not path.resolve().is_relative_to(context.resolve()):
        return set()
    seen.add(path)
    names = set()
    for line in reading.read_text(path, errors="replace").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line.startswith(("-r ", "--requirement ")):
            names |= _requirements(path.parent / line.split(None, 1)[1].strip(), context, seen)
        elif not line.startswith(("-", "#")):
            names |= requirement_names(line)
    return names
