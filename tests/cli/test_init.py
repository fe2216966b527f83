"""`shipform init` in process: the files it creates, what it keeps in a folder that has some already and what it
then says to do, and that it never writes through a symlink or outside the folder. The new repository's synth,
tests, compose file and server run for real in tests/cli/test_init_e2e.py."""

from __future__ import annotations

import ast
import os
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shipform import __version__
from shipform.cli import cli
from shipform.delivery.init import STARTERS, database_props, project_files

SERVERS = {"python": "server.py", "node": "server.js", "go": "main.go"}


def invoke(*args: str):
    return CliRunner().invoke(cli, ["init", *args], catch_exceptions=False)


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """The working folder init writes into, named as an App may be."""
    root = tmp_path / "shop"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def files_in(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("preset", list(STARTERS))
def test_a_new_repository_has_the_app_its_service_and_how_ci_installs_shipform(folder, preset):
    result = invoke("--preset", preset)
    assert result.exit_code == 0, result.output
    files = files_in(folder)
    expected = [".gitignore", "app.py", "cdk8s.yaml", "pyproject.toml",
                *(f"services/api/{name}" for name in STARTERS[preset].files), "tests/test_app.py"]
    assert sorted(files) == sorted(expected)
    assert [line.removeprefix("created ") for line in result.stdout.splitlines()[:len(expected)]] == sorted(expected)
    assert f"shop: {len(expected)} file(s) created in ./ ({preset} preset), 0 kept" in result.stdout
    app = files["app.py"]
    ast.parse(app)
    assert 'App("shop",' in app and 'connects_to=[db]' in app and 'health=Health.http("/healthz")' in app
    assert f"port={STARTERS[preset].port}" in app and STARTERS[preset].build in app
    # The one health path and port: the probes of app.py and the route the server answers.
    server = files[f"services/api/{SERVERS[preset]}"]
    assert '"/healthz"' in server and f'"{STARTERS[preset].port}"' in server
    assert all(var in server for var in ("DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD_FILE"))
    pyproject = tomllib.loads(files["pyproject.toml"])
    assert "build-system" not in pyproject  # an application: CI installs what it declares, without building it
    assert pyproject["project"]["dependencies"] == [f"shipform=={__version__}"]
    assert "pytest>=8" in pyproject["project"]["optional-dependencies"]["dev"]
    assert "app: python app.py" in files["cdk8s.yaml"] and "output: dist" in files["cdk8s.yaml"]
    assert "dist" not in files[".gitignore"].split()  # the output is committed


def test_the_name_defaults_to_the_folders_and_fits_every_database_rule():
    assert database_props("shop") == ""
    assert database_props("1shop") == ', database="app", user="app"'  # postgres names start with a letter or '_'
    assert database_props("postgres") == ', user="app"'  # a user postgres keeps for itself
    assert database_props("a" * 40) == ', user="app"'  # a user name has at most 32 characters
    app = project_files("1" + "a" * 62, "go")["app.py"]  # both props, and the longest name
    assert all(len(line) <= 120 for line in app.splitlines())


def test_a_second_run_keeps_everything_as_it_is(folder):
    invoke()
    before = files_in(folder)
    result = invoke()
    assert result.exit_code == 0 and files_in(folder) == before
    assert "kept app.py (as init writes it; not changed)" in result.stdout
    assert "shop: 0 file(s) created in ./ (python preset), 7 kept" in result.stdout
    assert "to do:" not in result.stdout


def test_an_existing_repository_keeps_its_files_and_is_told_what_to_do(folder):
    mine = {"app.py": "print('mine')\n", "cdk8s.yaml": "app: python main.py\n", ".gitignore": "dist/\n",
            "pyproject.toml": '[project]\nname = "shop"\nversion = "1"\ndependencies = ["requests"]\n',
            "services/api/server.py": "# mine\n"}
    for path, text in mine.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    result = invoke()
    assert result.exit_code == 0, result.output
    assert {path: files_in(folder)[path] for path in mine} == mine
    for path in mine:
        assert f"kept {path} (it exists; not changed)" in result.stdout
    assert "created tests/test_app.py" in result.stdout and "created services/api/requirements.txt" in result.stdout
    todo = [line for line in result.stdout.splitlines() if line.startswith("to do: ")]
    assert todo == [
        "to do: app.py is yours and was kept: the files created expect init's app, a WebService 'api' (python preset, "
        "port 8000, health endpoint /healthz) built from services/api/ that connects to a StatefulDB 'db'; add those "
        "to app.py, or remove what you do not need (tests/test_app.py checks them)",
        "to do: cdk8s.yaml was kept and its 'app' runs main.py: set `app: python app.py` there, or pass the file, "
        "`shipform synth app.py`",
        "to do: .gitignore was kept and ignores dist/, the synthesized output CI compares with a fresh synth: add the "
        "line `!dist/` after that one, and commit dist/",
        "to do: services/api/server.py was kept: app.py builds services/api/ as the service 'api' (python preset, "
        "port 8000, health endpoint /healthz); make your files serve that",
        "to do: cannot install shipform in CI: nothing the repository installs declares it (looked at pyproject.toml "
        f"([project] dependencies and its dev extra, [dependency-groups] dev) in {folder}). Fix: add "
        f"\"shipform=={__version__}\" to [project] dependencies in pyproject.toml"]


def test_an_unreadable_cdk8s_yaml_is_kept_and_named(folder):
    (folder / "cdk8s.yaml").write_text("app: [\n")
    result = invoke()
    assert result.exit_code == 0
    assert ("to do: cdk8s.yaml was kept and cannot be read: make it valid YAML with the line `app: python app.py`, "
            "which `shipform synth` runs") in result.stdout


@pytest.mark.parametrize("blocker", ["symlink", "file"])
def test_a_symlink_or_file_where_a_folder_goes_is_refused_before_anything_is_written(folder, tmp_path, blocker):
    outside = tmp_path / "outside"
    outside.mkdir()
    if blocker == "symlink":
        (folder / "services").symlink_to(outside, target_is_directory=True)
    else:
        (folder / "services").write_text("mine\n")
    result = CliRunner().invoke(cli, ["init"], catch_exceptions=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    reason = "is a symlink, and shipform never writes through one" if blocker == "symlink" \
        else "is a file where a folder must be"
    assert result.stderr.splitlines() == [
        f"error: cannot create files in {folder}: services {reason} (needed for services/api/requirements.txt, "
        "services/api/server.py). Fix: move it away (a symlink's target is left alone) and run `shipform init` "
        "again; nothing was written"]
    assert sorted(p.name for p in folder.iterdir()) == ["services"] and not any(outside.iterdir())


def test_a_symlink_where_a_file_goes_is_kept_and_its_target_untouched(folder, tmp_path):
    target = tmp_path / "elsewhere.py"
    target.write_text("theirs\n")
    (folder / "app.py").symlink_to(target)
    result = invoke()
    assert result.exit_code == 0 and "kept app.py (it exists; not changed)" in result.stdout
    assert target.read_text() == "theirs\n" and os.path.islink(folder / "app.py")


def test_help_names_every_preset():
    result = CliRunner().invoke(cli, ["init", "--help"], catch_exceptions=False)
    assert result.exit_code == 0 and f"--preset {'|'.join(STARTERS)}" in result.stdout
    assert "init [OPTIONS] [NAME]" in result.stdout
