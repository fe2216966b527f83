"""CI installs the repository's Python dependencies the way the repository declares them, and shipform must be
among them: requirement files, a pyproject that is a package, one that is not (what `uv init` writes for an
application), uv and poetry. The pip layouts are installed for real, offline, into a fresh virtual environment:
shipform from a wheel built from this repository, its own dependencies seen through a .pth file (pip counts
them as installed), so the commands run exactly as CI runs them; test_install_tools.py runs uv's and poetry's."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from conftest import REPO, exec_app, write_sources
from shipform.delivery.install import (
    DEPENDENCIES_FILE,
    ON_PATH,
    POETRY,
    POETRY_ON_PATH,
    PRINT_DEPENDENCIES,
    install_of,
)
from shipform.errors import ShipformError
from shipform.render.actions import ACTIONS
from shipform.render.output import Install
from shipform.synth.pipeline import render

pytestmark = pytest.mark.slow

PIP = "python -m pip install"
APPLICATION = '[project]\nname = "shop"\nversion = "1.0.0"\ndependencies = ["shipform", "flask==3.1.0"]\n'
HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
SETUPTOOLS = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'


def layout(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def install(tmp_path: Path, files: dict[str, str]) -> Install:
    return install_of(layout(tmp_path, files), "shop")


# --- what each layout installs ----------------------------------------------------------------------------------


def test_requirement_files_are_installed_together_with_pip_cached_by_them(tmp_path):
    found = install(tmp_path, {"requirements.txt": "shipform\n", "requirements-dev.txt": "pytest\n"})
    assert found == Install("pip", (f"{PIP} -r requirements-dev.txt -r requirements.txt",), cache="pip",
                            cache_keys=("requirements-dev.txt", "requirements.txt"))


def test_a_package_is_installed_editable_with_its_dev_extra(tmp_path):
    pyproject = HATCH + APPLICATION + '[project.optional-dependencies]\ndev = ["pytest"]\n'
    assert install(tmp_path, {"pyproject.toml": pyproject}) == Install(
        "pip", (f"{PIP} -e '.[dev]'",), cache_keys=("pyproject.toml",))
    (tmp_path / "pyproject.toml").write_text(HATCH + APPLICATION)
    assert install_of(tmp_path, "shop").commands == (f"{PIP} -e .",)


def test_a_packages_dev_dependency_group_is_installed_with_it(tmp_path):
    pyproject = HATCH + APPLICATION.replace('"shipform", ', "") + '[dependency-groups]\ndev = ["shipform"]\n'
    assert install(tmp_path, {"pyproject.toml": pyproject}).commands == (
        f"{PIP} 'pip>=25.1'", f"{PIP} -e . --group dev")


def test_requirement_files_beside_a_package_install_both(tmp_path):
    found = install(tmp_path, {"pyproject.toml": HATCH + APPLICATION, "requirements-dev.txt": "pytest\n"})
    assert found.commands == (f"{PIP} -r requirements-dev.txt -e .",)
    assert found.cache_keys == ("requirements-dev.txt", "pyproject.toml")


def test_a_pyproject_that_is_not_a_package_installs_its_dependencies_without_building_it(tmp_path):
    found = install(tmp_path, {"pyproject.toml": APPLICATION, "apps/shop/app.py": "", "services/api/app.py": ""})
    assert found == Install("pip", (PRINT_DEPENDENCIES, f"{PIP} -r {DEPENDENCIES_FILE}"),
                            cache_keys=("pyproject.toml",))


def test_a_dev_dependency_group_needs_a_pip_that_installs_groups(tmp_path):
    pyproject = APPLICATION.replace('"shipform", ', "") + '[dependency-groups]\ndev = ["shipform", "pytest"]\n'
    assert install(tmp_path, {"pyproject.toml": pyproject}).commands == (
        f"{PIP} 'pip>=25.1'", PRINT_DEPENDENCIES, f"{PIP} -r {DEPENDENCIES_FILE} --group dev")
    (tmp_path / "pyproject.toml").write_text('[dependency-groups]\ndev = ["shipform"]\n')
    assert install_of(tmp_path, "shop").commands == (f"{PIP} 'pip>=25.1'", f"{PIP} --group dev")


@pytest.mark.parametrize(("extra", "package"), [
    ("", False),  # setuptools would discover apps/ and services/ as top-level packages and refuse to build
    ('[tool.setuptools]\npackages = ["shop"]\n', True),
    ('[tool.setuptools]\npy-modules = ["app"]\n', True),
])
def test_setuptools_builds_only_what_it_is_told_to_or_a_src_layout(tmp_path, extra, package):
    found = install(tmp_path, {"pyproject.toml": SETUPTOOLS + APPLICATION + extra, "apps/shop/app.py": "",
                               "services/api/app.py": ""})
    assert (found.commands == (f"{PIP} -e .",)) is package
    (tmp_path / "src").mkdir()
    assert install_of(tmp_path, "shop").commands == (f"{PIP} -e .",)


def test_uv_syncs_the_lock_and_puts_its_environment_on_path(tmp_path):
    found = install(tmp_path, {"uv.lock": "version = 1\n", "pyproject.toml": APPLICATION})
    assert found == Install("uv", ("uv sync --frozen --all-extras", ON_PATH), cache="uv", cache_keys=("uv.lock",))
    assert ON_PATH == 'echo "$PWD/.venv/bin" >> "$GITHUB_PATH"'


def test_poetry_is_installed_by_pipx_before_python_is_set_up_then_installs_without_the_root(tmp_path):
    pyproject = ('[tool.poetry]\nname = "shop"\n[tool.poetry.dependencies]\npython = "^3.11"\n'
                 '[tool.poetry.group.dev.dependencies]\nshipform = "*"\n')
    found = install(tmp_path, {"poetry.lock": "", "pyproject.toml": pyproject})
    assert found == Install("poetry", ("poetry config virtualenvs.in-project true", "poetry env use python",
                                       "poetry install --no-root --all-extras", POETRY_ON_PATH),
                            tool_setup=(f"pipx install poetry=={POETRY}",), cache="poetry",
                            cache_keys=("poetry.lock",))


def test_poetry_counts_a_dependency_group_as_poetry_2_writes_it(tmp_path):
    """`poetry add --group dev shipform` writes [dependency-groups] (PEP 735) since poetry 2.2."""
    pyproject = '[tool.poetry]\npackage-mode = false\n[dependency-groups]\ndev = ["shipform (>=0.1.0,<0.2.0)"]\n'
    assert install(tmp_path, {"poetry.lock": "", "pyproject.toml": pyproject}).tool == "poetry"


WORKFLOW_APP = """
from shipform import *
app = App("shop", registry="ghcr.io/acme", workflows="output")
dev = Environment(app, "dev")
prod = Environment(app, "prod", unpinned_images="nothing was promoted to prod yet")
for env in (dev, prod):
    WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
"""
POETRY_PROJECT = '[tool.poetry.dependencies]\nshipform = "*"\n'
INSTALL_STEPS = ("Install poetry", "Set up Python", "Set up uv", "Install the app's dependencies")


def install_steps(tmp_path: Path, files: dict[str, str]) -> dict[str, list[tuple[str, str, dict[str, object]]]]:
    """Per job that installs (CI's check, the build's record, the promotion), its install steps as (name, the
    action or the script, the action's inputs)."""
    (tmp_path / ".git").mkdir()
    layout(tmp_path, files)
    write_sources(tmp_path / "apps")
    rendered = render(exec_app(WORKFLOW_APP, tmp_path / "apps"), tmp_path / "dist")
    docs = {name.rsplit("/", 1)[1]: yaml.safe_load(text) for name, text in rendered.items()
            if name.startswith(".github/workflows/")}
    jobs = {"ci": docs["shop-ci.yaml"]["jobs"]["check"], "record": docs["shop-build.yaml"]["jobs"]["record"],
            "promote": docs["shop-promote-dev-to-prod.yaml"]["jobs"]["promote"]}
    return {name: [(s["name"], s.get("uses") or s["run"], s.get("with", {})) for s in job["steps"]
                   if s["name"] in INSTALL_STEPS] for name, job in jobs.items()}


def test_the_workflows_install_with_pip_cached_in_ci_only(tmp_path):
    found = install_steps(tmp_path, {"requirements.txt": "shipform\n", "requirements-dev.txt": "pytest\n"})
    python = ACTIONS["setup-python"].uses()
    install = ("Install the app's dependencies", f"{PIP} -r requirements-dev.txt -r requirements.txt", {})
    cached = {"python-version": "3.11", "cache": "pip",
              "cache-dependency-path": "requirements-dev.txt\nrequirements.txt"}
    assert found["ci"] == [("Set up Python", python, cached), install]
    # A cache a pull request's run could write never reaches the jobs that record or promote (cache poisoning).
    assert found["record"] == found["promote"] == [("Set up Python", python, {"python-version": "3.11"}), install]


def test_the_workflows_install_poetry_before_python_whose_cache_asks_poetry(tmp_path):
    found = install_steps(tmp_path, {"poetry.lock": "", "pyproject.toml": POETRY_PROJECT})
    python = ACTIONS["setup-python"].uses()
    poetry = ("Install poetry", f"pipx install poetry=={POETRY}", {})
    install = ("Install the app's dependencies", "poetry config virtualenvs.in-project true\npoetry env use python\n"
               f"poetry install --no-root --all-extras\n{POETRY_ON_PATH}", {})
    assert found["ci"] == [poetry, ("Set up Python", python, {"python-version": "3.11", "cache": "poetry",
                                                              "cache-dependency-path": "poetry.lock"}), install]
    assert found["record"] == found["promote"] == [poetry, ("Set up Python", python, {"python-version": "3.11"}),
                                                   install]


def test_the_workflows_set_up_uv_pinned_and_cache_by_the_lock_in_ci_only(tmp_path):
    found = install_steps(tmp_path, {"uv.lock": "version = 1\n", "pyproject.toml": APPLICATION})
    python = ("Set up Python", ACTIONS["setup-python"].uses(), {"python-version": "3.11"})
    uv = ACTIONS["setup-uv"].uses()
    assert uv == "astral-sh/setup-uv@20cfd1bf945f4377ade1205e4dbc17946fc9a30d"
    install = ("Install the app's dependencies", f"uv sync --frozen --all-extras\n{ON_PATH}", {})
    assert found["ci"] == [python, ("Set up uv", uv, {"enable-cache": True, "cache-dependency-glob": "uv.lock"}),
                           install]
    # Explicitly off: setup-uv's default ('auto') would cache a push to the default branch.
    assert found["record"] == found["promote"] == [python, ("Set up uv", uv, {"enable-cache": False}), install]


# --- where shipform counts as declared --------------------------------------------------------------------------


@pytest.mark.parametrize("requirement", [
    "shipform", "Shipform[extra]>=0.1 ; python_version >= '3.11'", "shipform @ file:///wheels/shipform.whl",
    "./wheels/shipform-0.1.0-py3-none-any.whl", "-e git+https://example.com/acme/tools.git#egg=shipform",
    "shipform==0.1.0 \\\n    --hash=sha256:0000", "flask==3.1.0\n-r more.txt",
])
def test_a_requirement_line_in_any_form_declares_shipform(tmp_path, requirement):
    layout(tmp_path, {"requirements.txt": requirement + "\n", "more.txt": "shipform  # the CLI CI runs\n"})
    assert install_of(tmp_path, "shop").tool == "pip"


@pytest.mark.parametrize("requirement", [
    "shipform-extras", "# shipform", "-c constraints.txt", "flask  # not shipform",
])
def test_what_does_not_install_shipform_does_not_declare_it(tmp_path, requirement):
    layout(tmp_path, {"requirements.txt": requirement + "\n", "constraints.txt": "shipform==0.1.0\n"})
    with pytest.raises(ShipformError, match="nothing the repository installs declares it"):
        install_of(tmp_path, "shop")


def test_this_repository_declares_shipform_by_being_it():
    assert install_of(REPO, "shop").commands == (f"{PIP} -e '.[dev]'",)


def test_an_included_dependency_group_counts(tmp_path):
    pyproject = '[dependency-groups]\ntools = ["shipform"]\ndev = [{include-group = "tools"}, "pytest"]\n'
    assert install(tmp_path, {"pyproject.toml": pyproject}).commands[-1] == f"{PIP} --group dev"


# --- refused: workflows that could not install shipform -------------------------------------------------------


def test_nothing_declared_at_all_is_refused_saying_where_it_looked_and_what_to_write(tmp_path):
    with pytest.raises(ShipformError) as err:
        install_of(tmp_path, "shop")
    assert str(err.value) == (
        f"shop: 'workflows' cannot install shipform in CI: the repository declares no Python dependencies (looked "
        f"for uv.lock, poetry.lock, requirements*.txt and pyproject.toml in {tmp_path}). Fix: create "
        f"{tmp_path / 'requirements.txt'} with the line `shipform==0.1.0` (as you install shipform: a version, a URL "
        "or a wheel's path)")


@pytest.mark.parametrize(("files", "looked", "fix"), [
    ({"requirements.txt": "flask\n"}, "requirements.txt", "add the line `shipform==0.1.0` to requirements.txt"),
    ({"pyproject.toml": '[project]\nname = "shop"\n'},
     "pyproject.toml ([project] dependencies and its dev extra, [dependency-groups] dev)",
     'add "shipform==0.1.0" to [project] dependencies in pyproject.toml'),
    ({"pyproject.toml": HATCH + '[project]\nname = "shop"\n'},
     "pyproject.toml (the package itself, [project] dependencies and its dev extra, [dependency-groups] dev)",
     'add "shipform==0.1.0" to [project] dependencies in pyproject.toml'),
    ({"uv.lock": "", "pyproject.toml": '[dependency-groups]\nlint = ["shipform"]\n'},
     "uv.lock, pyproject.toml ([project] dependencies and extras, its default [dependency-groups])",
     "run `uv add shipform` (or `uv add --dev shipform`) and commit pyproject.toml and uv.lock"),
    ({"poetry.lock": "", "pyproject.toml": '[tool.poetry.group.docs]\noptional = true\n'
      '[tool.poetry.group.docs.dependencies]\nshipform = "*"\n'},
     "poetry.lock, pyproject.toml ([tool.poetry] dependencies and groups, [dependency-groups], [project] "
     "dependencies and extras)", "run `poetry add --group dev shipform` and commit pyproject.toml and poetry.lock"),
    ({"poetry.lock": "", "pyproject.toml": '[dependency-groups]\ndocs = ["shipform"]\n'
      '[tool.poetry.group.docs]\noptional = true\n'},
     "poetry.lock, pyproject.toml ([tool.poetry] dependencies and groups, [dependency-groups], [project] "
     "dependencies and extras)", "run `poetry add --group dev shipform` and commit pyproject.toml and poetry.lock"),
])
def test_a_layout_that_does_not_declare_shipform_is_refused(tmp_path, files, looked, fix):
    with pytest.raises(ShipformError) as err:
        install(tmp_path, files)
    assert str(err.value) == (f"shop: 'workflows' cannot install shipform in CI: nothing the repository installs "
                              f"declares it (looked at {looked} in {tmp_path}). Fix: {fix}")


def test_a_pyproject_that_is_not_toml_is_named(tmp_path):
    with pytest.raises(ShipformError, match=r"pyproject.toml: 'pyproject.toml' cannot be read: "):
        install(tmp_path, {"pyproject.toml": "[project\n", "requirements.txt": "shipform\n"})


def test_synth_refuses_instead_of_falling_back_to_a_shipform_version(tmp_path):
    """The old fallback wrote `pip install shipform==<version>`, which no index serves."""
    source = 'from shipform import *\napp = App("shop", registry="ghcr.io/acme")\nEnvironment(app, "dev")\n'
    with pytest.raises(ShipformError, match=r"^shop: 'workflows' cannot install shipform in CI"):
        render(exec_app(source, tmp_path), tmp_path / "dist")
    (tmp_path / "requirements.txt").write_text("shipform\n")
    files = render(exec_app(source, tmp_path), tmp_path / "dist")
    assert not any("install shipform" in text for text in files.values())


# --- installed for real, offline ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dependencies(tmp_path_factory) -> Path:
    """Everything installed beside shipform in the test's own environment (pip 26 among it), without shipform:
    a fresh environment that reads this folder through a .pth file has shipform's dependencies, not shipform."""
    folder = tmp_path_factory.mktemp("dependencies")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("shipform", "_editable_impl_shipform", "__pycache__")):
            (folder / entry.name).symlink_to(entry)
    return folder


def fresh_environment(folder: Path, dependencies: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    purelib = subprocess.run([str(folder / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(f"{dependencies}\n")
    return folder


def run_install(root: Path, found: Install, venv: Path, wheelhouse: Path) -> None:
    """The commands in CI's order, in bash -e as GitHub runs a step, offline: pip finds shipform in the wheelhouse."""
    temp = root.parent / "runner-temp"
    temp.mkdir(exist_ok=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(wheelhouse), "PIP_DISABLE_PIP_VERSION_CHECK": "1", "RUNNER_TEMP": str(temp),
           "GITHUB_PATH": str(temp / "path"), "VIRTUAL_ENV": str(venv), "PYTHONPATH": ""}
    for command in found.tool_setup + found.commands:
        result = subprocess.run(["bash", "-e", "-c", command], cwd=root, env=env, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])


def installed_shipform(venv: Path) -> str:
    """`shipform --version` of the fresh environment, after checking shipform is installed in it (not borrowed)."""
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import shipform; print(shipform.__file__)"],
                           check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout
    return subprocess.run([str(venv / "bin" / "shipform"), "--version"], check=True, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ""}).stdout.strip()


@pytest.mark.parametrize("files", [
    {"requirements.txt": "shipform\n"},
    {"pyproject.toml": '[project]\nname = "shop"\nversion = "1.0.0"\ndependencies = ["shipform"]\n',
     "apps/shop/app.py": "", "services/api/app.py": ""},
    {"pyproject.toml": '[project]\nname = "shop"\nversion = "1.0.0"\n[dependency-groups]\ndev = ["shipform"]\n',
     "apps/shop/app.py": "", "services/api/app.py": ""},
], ids=["requirements.txt", "not-a-package", "dependency-group"])
def test_the_install_commands_install_shipform_offline_in_a_fresh_environment(tmp_path, wheelhouse, dependencies,
                                                                             files):
    root = layout(tmp_path / "repo", files)
    found = install_of(root, "shop")
    venv = fresh_environment(tmp_path / "venv", dependencies)
    run_install(root, found, venv, wheelhouse)
    assert installed_shipform(venv) == "shipform 0.1.0"
