"""How CI installs a repository's Python dependencies, shipform among them: the way the repository declares them.

- ``uv.lock``: ``uv sync --frozen`` (astral-sh/setup-uv installs uv and caches by the lock).
- ``poetry.lock``: ``poetry install --no-root`` with poetry 2 (:data:`POETRY`), installed by pipx before
  actions/setup-python (whose poetry cache asks poetry where its cache is).
- ``requirements*.txt`` and ``pyproject.toml``, with pip: the requirement files, and the pyproject either as a
  package (``pip install -e '.[dev]'``) or, when it is not one, its ``[project]`` dependencies (and ``dev``
  extra) and its ``dev`` dependency group, installed without building it. pip's cache is keyed by those files.

A pyproject is a package when it says how to build it: a ``[build-system]`` backend, and for setuptools (the
backend pip falls back to) either the ``src/`` layout or ``[tool.setuptools]`` naming its packages or modules.
Anything else is what ``uv init`` writes for an application, where building fails (setuptools: "Multiple
top-level packages discovered in a flat-layout").

CI runs ``shipform synth --check`` after installing, so what the repository installs must include shipform:
when nothing declares it, synth refuses (:func:`install_of`) instead of writing workflows that cannot work.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from shipform._version import __version__
from shipform.errors import ShipformError
from shipform.render.output import Install

PIP = "python -m pip install"
ON_PATH = 'echo "$PWD/.venv/bin" >> "$GITHUB_PATH"'
"""uv's project environment (``uv sync`` makes it in .venv) first on PATH for the steps after."""
POETRY = "2.5.1"
"""The poetry CI installs. Poetry 2 reads both a ``[project]`` table, which ``poetry init`` writes since 2.0, and
the ``[tool.poetry]`` tables before it; poetry 1.8 refuses the first ("The fields ['authors', 'description',
'name', 'version'] are required in package mode")."""
POETRY_ON_PATH = 'echo "$(poetry env info --path)/bin" >> "$GITHUB_PATH"'
"""The environment poetry installed into, asked of poetry: a repository's ``poetry.toml`` (``[virtualenvs]
in-project = false``, ``path``) overrides the global ``virtualenvs.in-project`` and puts it outside .venv."""
DEPENDENCIES_FILE = '"$RUNNER_TEMP/pyproject-requirements.txt"'
PRINT_DEPENDENCIES = (
    "python -c 'import tomllib; p = tomllib.load(open(\"pyproject.toml\", \"rb\")).get(\"project\", {}); "
    "print(*p.get(\"dependencies\", []), *p.get(\"optional-dependencies\", {}).get(\"dev\", []), sep=\"\\n\")'"
    f" > {DEPENDENCIES_FILE}")
"""A non-package pyproject's [project] dependencies and dev extra as a requirements file, read when CI runs
(pip cannot install a project's dependencies without building the project)."""
GROUPS_PIP = "pip>=25.1"
"""The first pip that installs PEP 735 dependency groups (``--group``)."""

_NAME = re.compile(r"\A\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")  # a prefix: what follows is the rest
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9._-]+)")
_ARCHIVE = re.compile(r"(?:^|/)([A-Za-z0-9._]+?)-[0-9][^/]*\.(?:whl|tar\.gz|zip)\Z")


def install_of(root: Path, app: str) -> Install:
    """The install of the repository at ``root``; a ShipformError at ``app`` naming the files looked at and how to
    declare shipform when none of what it installs declares shipform."""
    pyproject = _toml(root / "pyproject.toml")
    if (root / "uv.lock").is_file():
        return _checked(app, root, _uv(pyproject), ["uv.lock", *_pyproject_places(pyproject, "uv")],
                        "run `uv add shipform` (or `uv add --dev shipform`) and commit pyproject.toml and uv.lock")
    if (root / "poetry.lock").is_file():
        return _checked(app, root, _poetry(pyproject), ["poetry.lock", *_pyproject_places(pyproject, "poetry")],
                        "run `poetry add --group dev shipform` and commit pyproject.toml and poetry.lock")
    requirements = sorted(p.name for p in root.glob("requirements*.txt") if p.is_file())
    if not requirements and pyproject is None:
        raise ShipformError(app, "workflows", "cannot install shipform in CI: the repository declares no Python "
                            f"dependencies (looked for uv.lock, poetry.lock, requirements*.txt and pyproject.toml in "
                            f"{root})", None, f"create {root / 'requirements.txt'} with the line "
                            f"`shipform=={__version__}` (as you install shipform: a version, a URL or a wheel's path)")
    declared = _pip_declares(root, requirements, pyproject)
    install = _pip(requirements, pyproject, root)
    looked = [*requirements, *_pyproject_places(pyproject, "pip", _is_package(root, pyproject))]
    fix = (f"add the line `shipform=={__version__}` to {requirements[0]}" if requirements
           else f"add \"shipform=={__version__}\" to [project] dependencies in pyproject.toml")
    return _checked(app, root, (install, declared), looked, fix)


def _checked(app: str, root: Path, found: tuple[Install, bool], looked: list[str], fix: str) -> Install:
    install, declared = found
    if not declared:
        raise ShipformError(app, "workflows", "cannot install shipform in CI: nothing the repository installs "
                            f"declares it (looked at {', '.join(looked)} in {root})", None, fix)
    return install


# --- uv and poetry ----------------------------------------------------------------------------------------------


def _uv(pyproject: dict[str, Any] | None) -> tuple[Install, bool]:
    """``uv sync --frozen --all-extras``: the project (when it is a package), its dependencies, every extra and
    uv's default groups (dev, unless ``[tool.uv] default-groups`` says otherwise)."""
    install = Install("uv", ("uv sync --frozen --all-extras", ON_PATH), cache="uv", cache_keys=("uv.lock",))
    project = _table(pyproject, "project")
    defaults = _table(pyproject, "tool", "uv").get("default-groups", ["dev"])
    groups = _table(pyproject, "dependency-groups")
    chosen = list(groups) if defaults == "all" else [g for g in defaults if isinstance(g, str)]
    return install, _is_shipform_project(project) or _declares(
        [*_strings(project.get("dependencies")), *_extras(project), *_groups(groups, chosen)])


def _poetry(pyproject: dict[str, Any] | None) -> tuple[Install, bool]:
    """``poetry install --no-root --all-extras``: the dependencies, every extra and every group that is not
    optional, into .venv (unless the repository's poetry.toml says otherwise) with the Python that
    actions/setup-python put on PATH; the project itself is not installed (``--no-root``: an application is not a
    package)."""
    install = Install("poetry", ("poetry config virtualenvs.in-project true", "poetry env use python",
                                 "poetry install --no-root --all-extras", POETRY_ON_PATH),
                      tool_setup=(f"pipx install poetry=={POETRY}",), cache="poetry",
                      cache_keys=("poetry.lock",))
    poetry = _table(pyproject, "tool", "poetry")
    names = [*_keys(poetry.get("dependencies")), *_keys(poetry.get("dev-dependencies"))]
    # A group's requirements are in [tool.poetry.group.<name>.dependencies] or, as poetry 2.2 and later write
    # them (`poetry add --group`), in [dependency-groups] (PEP 735); either way [tool.poetry.group.<name>] says
    # whether it is optional.
    settings, standard = _table(pyproject, "tool", "poetry", "group"), _table(pyproject, "dependency-groups")
    for name in {**settings, **standard}:
        if not _table(settings, name).get("optional", False):
            names += [*_keys(_table(settings, name).get("dependencies")), *_groups(standard, [name])]
    project = _table(pyproject, "project")
    return install, _declares([*names, *_strings(project.get("dependencies")), *_extras(project)])


# --- pip: requirement files and pyproject.toml --------------------------------------------------------------------


def _pip(requirements: list[str], pyproject: dict[str, Any] | None, root: Path) -> Install:
    """One pip install of the requirement files and the pyproject (as a package, or by what it declares), after
    the commands that prepare it."""
    files = [f"-r {name}" for name in requirements]
    keys = [*requirements, *(["pyproject.toml"] if pyproject is not None else [])]
    commands = []
    project = _table(pyproject, "project")
    if pyproject is not None and _is_package(root, pyproject):
        files.append("-e '.[dev]'" if "dev" in _table(project, "optional-dependencies") else "-e .")
    elif _strings(project.get("dependencies")) or "dev" in _table(project, "optional-dependencies"):
        commands.append(PRINT_DEPENDENCIES)
        files.append(f"-r {DEPENDENCIES_FILE}")
    if "dev" in _table(pyproject, "dependency-groups"):
        commands.insert(0, f"{PIP} '{GROUPS_PIP}'")
        files.append("--group dev")
    if files:
        commands.append(f"{PIP} {' '.join(files)}")
    return Install("pip", tuple(commands), cache_keys=tuple(keys))


def _pip_declares(root: Path, requirements: list[str], pyproject: dict[str, Any] | None) -> bool:
    if any(_declares(_requirement_lines(root / name, set())) for name in requirements):
        return True
    project = _table(pyproject, "project")
    if _is_package(root, pyproject) and _is_shipform_project(project):
        return True  # the repository is shipform itself (or a fork): installing it installs shipform
    dev = _table(project, "optional-dependencies").get("dev")
    groups = _groups(_table(pyproject, "dependency-groups"), ["dev"])  # installed with the package too
    return _declares([*_strings(project.get("dependencies")), *_strings(dev), *groups])


def _is_package(root: Path, pyproject: dict[str, Any] | None) -> bool:
    """Whether pip can build the project: a build backend, and for setuptools a layout it can discover."""
    backend = _table(pyproject, "build-system").get("build-backend")
    if not isinstance(backend, str):
        return False
    if not backend.startswith("setuptools"):
        return True
    setuptools = _table(pyproject, "tool", "setuptools")
    return (root / "src").is_dir() or any(key in setuptools for key in ("packages", "py-modules"))


def _pyproject_places(pyproject: dict[str, Any] | None, tool: str, package: bool = False) -> list[str]:
    """Where in pyproject.toml the install looks for shipform, as the error names them."""
    if pyproject is None:
        return []
    places = {"uv": "[project] dependencies and extras, its default [dependency-groups]",
              "poetry": "[tool.poetry] dependencies and groups, [dependency-groups], [project] dependencies and extras",
              "pip": "[project] dependencies and its dev extra, [dependency-groups] dev"}[tool]
    return [f"pyproject.toml ({'the package itself, ' if package else ''}{places})"]


# --- reading what is declared ---------------------------------------------------------------------------------


def _declares(requirements: Iterable[str]) -> bool:
    """Whether one of the requirement strings (PEP 508, a requirements.txt line, a URL or a path) is shipform."""
    return any(_requirement_name(r) == "shipform" for r in requirements)


def _requirement_name(requirement: str) -> str | None:
    """The distribution name a requirement installs, normalized (PEP 503); None when it names none."""
    text = requirement.strip()
    if text.startswith(("-e ", "--editable ", "--editable=")):
        text = text.split(None, 1)[-1] if " " in text else text.split("=", 1)[1]
    found = _EGG.search(text) or _ARCHIVE.search(text.split("#", 1)[0])
    if found is None and not re.search(r"\A(?:[A-Za-z0-9]+(\+[a-z]+)?://|[./~])", text):
        found = _NAME.search(text)
    return re.sub(r"[-_.]+", "-", found[1]).lower() if found else None


def _requirement_lines(path: Path, seen: set[Path]) -> Iterator[str]:
    """The requirement lines of a requirements file and of the files it includes with ``-r``; options,
    comments and constraint files (``-c``: they install nothing) left out."""
    path = path.resolve()
    if path in seen or not path.is_file():
        return
    seen.add(path)
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8", errors="replace"))
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*", "", line).strip()  # one line: the comment runs to its end
        option = re.search(r"\A(-r|--requirement)(?:\s+|=)(\S+)", line)
        if option:
            yield from _requirement_lines(path.parent / option[2], seen)
        elif line and (not line.startswith("-") or line.startswith(("-e", "--editable"))):
            yield line


def _is_shipform_project(project: dict[str, Any]) -> bool:
    name = project.get("name")
    return isinstance(name, str) and _requirement_name(name) == "shipform"


def _extras(project: dict[str, Any]) -> list[str]:
    return [r for extra in _table(project, "optional-dependencies").values() for r in _strings(extra)]


def _groups(groups: dict[str, Any], names: list[str], seen: frozenset[str] = frozenset()) -> list[str]:
    """The requirements of dependency groups (PEP 735), following ``{include-group = ...}``."""
    found: list[str] = []
    for name in names:
        for entry in groups.get(name, []) if name not in seen and isinstance(groups.get(name), list) else []:
            if isinstance(entry, str):
                found.append(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("include-group"), str):
                found += _groups(groups, [entry["include-group"]], seen | {name})
    return found


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _keys(value: object) -> list[str]:
    return [k for k in value if isinstance(k, str)] if isinstance(value, dict) else []


def _table(data: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    """The table at ``keys`` (e.g. 'tool', 'poetry'); empty when any level is missing or not a table."""
    for key in keys:
        value = data.get(key) if isinstance(data, dict) else None
        data = value if isinstance(value, dict) else None
    return data if isinstance(data, dict) else {}


def _toml(path: Path) -> dict[str, Any] | None:
    """The parsed file; None when there is none. A file pip and uv could not read either is a ShipformError."""
    if not path.is_file():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeError, tomllib.TOMLDecodeError) as err:
        raise ShipformError(str(path), "pyproject.toml", f"cannot be read: {err}", None,
                            "correct the file (CI installs the repository's dependencies from it)") from None
