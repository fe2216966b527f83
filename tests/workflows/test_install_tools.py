"""uv's and poetry's install commands, run as CI runs them: in a user-like project with a real lock file made by the
tool itself, the commands :func:`install_of` generates (the text the workflows hold) run one by one by ``bash -e``
at the project's root, on an emulated runner: a home of its own, actions/setup-python's Python first on PATH,
setup-uv's uv or the generated ``pipx install poetry==...`` (pipx is on GitHub's runners), and $GITHUB_PATH read
after the step and put first on PATH as the runner does. Then ``shipform --version`` runs from that PATH, out of the
environment the tool installed.

Offline: shipform's wheel is built from this repository and its dependencies repacked from this environment
(local_index.py); the developer locks and the runner installs from them, uv as find-links under UV_OFFLINE, poetry
from the project's source on loopback. uv and pipx come with the dev extra. Poetry cannot share the dev environment
(checkov pins packaging<24, poetry 2 needs >=24.2), so scripts/setup.sh downloads the wheels of the poetry CI
installs into .venv/tool-wheels (SHIPFORM_TOOL_WHEELS names another folder), from which the generated pipx command
installs it. Missing tools skip the tests, saying which; with SHIPFORM_REQUIRE_INSTALL_TOOLS=1 (CI sets it) they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO
from shipform.delivery.install import POETRY, install_of
from workflows import local_index

pytestmark = pytest.mark.slow

TOOL_WHEELS = Path(os.environ.get("SHIPFORM_TOOL_WHEELS", REPO / ".venv" / "tool-wheels"))
SYSTEM_PATH = "/usr/bin:/bin"  # the runner's own tools (bash, coreutils); not this test's environment


def need(reason: str) -> None:
    if os.environ.get("SHIPFORM_REQUIRE_INSTALL_TOOLS") == "1":
        pytest.fail(f"install tools required but cannot run: {reason}")
    pytest.skip(reason)


def tool(name: str) -> Path:
    """The tool beside this interpreter (the dev extra) or on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        need(f"{name} is not installed (pip install -e '.[dev]')")
    return Path(str(found))


def machine(folder: Path, tools: dict[str, Path], **env: str) -> dict[str, str]:
    """A machine's environment: its own home, ``python`` the base interpreter of this one (what setup-python puts
    first on PATH), the tools linked into one folder after it, no PYTHONPATH or virtual environment inherited."""
    python, bin_ = folder / "python" / "bin", folder / "tools"
    for path in (python, bin_, folder / "home", folder / "temp"):
        path.mkdir(parents=True, exist_ok=True)
    base = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    for name in ("python", "python3"):
        (python / name).unlink(missing_ok=True)
        (python / name).symlink_to(base)
    for name, path in tools.items():
        (bin_ / name).unlink(missing_ok=True)
        (bin_ / name).symlink_to(path)
    return {"HOME": str(folder / "home"), "PATH": f"{python}:{bin_}:{SYSTEM_PATH}", "LANG": "C.UTF-8",
            "RUNNER_TEMP": str(folder / "temp"), "GITHUB_PATH": str(folder / "temp" / "github_path"),
            "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **env}


def bash(command: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(["bash", "-e", "-c", command], cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr[-3000:])
    return result.stdout


@pytest.fixture(scope="session")
def index(wheelhouse: Path, tmp_path_factory) -> Path:
    return local_index.build(tmp_path_factory.mktemp("index"), next(wheelhouse.glob("shipform-*.whl")))


@pytest.fixture(scope="session")
def index_url(index: Path) -> Iterator[str]:
    with local_index.serve(index) as url:
        yield url


@pytest.fixture(scope="session")
def uv() -> Path:
    return tool("uv")


@pytest.fixture(scope="session")
def poetry(tmp_path_factory) -> Path:
    """The folder pipx linked poetry into, after the generated tool setup ran once (what the runner's tool step
    does before each job), offline from the setup script's poetry wheels."""
    pipx = tool("pipx")
    if not any(TOOL_WHEELS.glob(f"poetry-{POETRY}-*.whl")):
        need(f"no poetry {POETRY} wheel in {TOOL_WHEELS} (scripts/setup.sh downloads it)")
    folder = tmp_path_factory.mktemp("pipx")
    env = machine(folder, {"pipx": pipx}, PIPX_HOME=str(folder / "pipx"), PIPX_BIN_DIR=str(folder / "bin"),
                  PIP_NO_INDEX="1", PIP_FIND_LINKS=str(TOOL_WHEELS))
    (setup,) = install_of(poetry_project(folder / "probe"), "shop").tool_setup
    assert setup == f"pipx install poetry=={POETRY}"
    bash(setup, folder, env)
    return folder / "bin"


def poetry_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[tool.poetry.dependencies]\nshipform = "*"\n')
    (root / "poetry.lock").write_text("")
    return root


def run_ci(root: Path, runner: dict[str, str]) -> list[str]:
    """The generated install commands at the repository's root, then ``shipform --version`` with $GITHUB_PATH's
    lines first on PATH (the last line first, as the runner prepends each); returns where shipform and the
    ``shipform`` module were found and what the command printed."""
    found = install_of(root, "shop")
    for command in found.commands:
        bash(command, root, runner)
    lines = Path(runner["GITHUB_PATH"]).read_text().splitlines()
    path = os.pathsep.join([*reversed(lines), runner["PATH"]])
    return bash('command -v shipform; python -c "import shipform; print(shipform.__file__)"; shipform --version',
                root, {**runner, "PATH": path}).splitlines()


def assert_runs_from(printed: list[str], venv: Path) -> None:
    where, module, version = printed
    assert Path(where) == venv / "bin" / "shipform"
    assert Path(module).is_relative_to(venv)  # installed there, not borrowed from this test's environment
    assert version == "shipform 0.1.0"


# --- uv -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("init", "add"), [
    ("uv init --app --vcs none --name shop", "uv add --no-sync shipform"),  # uv 0.13: built by uv_build
    ("uv init --app --no-package --vcs none --name shop", "uv add --no-sync --dev shipform"),
], ids=["app", "not-a-package-dev-group"])
def test_uv_sync_installs_shipform_from_the_lock_and_puts_it_on_path(tmp_path, uv, index, init, add):
    offline = {"UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never"}
    root = tmp_path / "repo"
    root.mkdir()
    developer = machine(tmp_path / "developer", {"uv": uv}, UV_FIND_LINKS=str(index), UV_NO_INDEX="1", **offline)
    bash(f"{init}\n{add}", root, developer)
    assert (root / "uv.lock").is_file() and "shipform" in (root / "uv.lock").read_text()
    runner = machine(tmp_path / "runner", {"uv": uv}, **offline)  # setup-uv put uv on PATH
    assert_runs_from(run_ci(root, runner), root / ".venv")


# --- poetry ---------------------------------------------------------------------------------------------------------

LEGACY = ('[tool.poetry]\nname = "shop"\nversion = "0.1.0"\ndescription = ""\nauthors = []\npackage-mode = false\n'
          '[tool.poetry.dependencies]\npython = "^3.11"\n')


@pytest.mark.parametrize(("files", "add", "in_project"), [
    ({}, "poetry add --lock shipform", True),  # poetry 2's init: [project] dependencies
    ({"pyproject.toml": LEGACY}, "poetry add --lock --group dev shipform", True),  # [tool.poetry] and a group
    ({"poetry.toml": "[virtualenvs]\nin-project = false\n"}, "poetry add --lock shipform", False),
], ids=["poetry-init", "tool-poetry-dev-group", "poetry-toml-outside-the-project"])
def test_poetry_installs_shipform_from_the_lock_and_puts_its_environment_on_path(tmp_path, poetry, index_url,
                                                                                files, add, in_project):
    tools = {"poetry": poetry / "poetry"}
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    init = "" if "pyproject.toml" in files else "poetry init --no-interaction --name shop --python '>=3.11'\n"
    bash(f"{init}poetry source add --priority=primary local {index_url}\n{add}", root,
         machine(tmp_path / "developer", tools))
    assert "shipform" in (root / "poetry.lock").read_text()
    runner = machine(tmp_path / "runner", tools)
    printed = run_ci(root, runner)
    venv = Path(printed[0]).parent.parent
    assert_runs_from(printed, venv)
    assert (venv == root / ".venv") is in_project
