"""compose's develop.watch for built services (`docker compose watch`): sync the source and restart where a copy
into the container works and is what the image holds, rebuild on the dependency files; rebuild on any change
where it cannot (a read-only root, the default; Go's static binary; a team's Dockerfile; a Node build); never for
jobs or pulled images; nothing the image leaves out triggers anything. `docker-compose config` accepts it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import exec_app, write_sources
from shipform.render import build_ignore
from shipform.synth.pipeline import render

WRITABLE = ', read_only_root_filesystem=False, accepted_risks={"readOnlyRootFilesystem": "the app writes its cache"}'
APP = '''
from shipform import App, Build, CronJob, Environment, Health, StatefulDB, WebService
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True)
BUILD
'''
IGNORED = [*build_ignore.NEVER, *build_ignore.LOCAL, *build_ignore.INSTRUCTIONS]


def compose(tmp_path: Path, body: str) -> dict:
    write_sources(tmp_path)
    files = render(exec_app(APP.replace("BUILD", body), tmp_path), tmp_path / "out")
    return yaml.safe_load(files["compose/compose.yaml"])


def watch_of(tmp_path: Path, body: str, service: str = "api") -> list[dict] | None:
    return (compose(tmp_path, body)["services"][service].get("develop") or {}).get("watch")


def test_a_writable_python_service_syncs_its_source_and_rebuilds_on_its_requirements(tmp_path):
    rules = watch_of(tmp_path, 'WebService(dev, "api", build=Build.python("py", ["python", "-m", "app"]), port=8000'
                     + WRITABLE + ')')
    assert rules == [
        {"action": "sync+restart", "path": "../../../py", "target": "/app", "ignore": ["requirements.txt", *IGNORED]},
        {"action": "rebuild", "path": "../../../py/requirements.txt"}]


def test_a_uv_project_rebuilds_on_pyproject_and_its_lockfile(tmp_path):
    write_sources(tmp_path)
    (tmp_path / "py" / "pyproject.toml").write_text('[project]\nname = "a"\nversion = "1"\n')
    (tmp_path / "py" / "uv.lock").write_text("version = 1\n")
    (tmp_path / "py" / "requirements.txt").unlink()
    rules = watch_of(tmp_path, 'WebService(dev, "api", build=Build.python("py", ["python", "-m", "app"]), port=8000'
                     + WRITABLE + ')')
    assert [r["path"] for r in rules if r["action"] == "rebuild"] == ["../../../py/pyproject.toml",
                                                                      "../../../py/uv.lock"]


def test_a_writable_node_service_syncs_and_rebuilds_on_package_json_and_its_lockfile(tmp_path):
    rules = watch_of(tmp_path, 'WebService(dev, "api", build=Build.node("node", ["node", "server.js"]), port=3000'
                     + WRITABLE + ')')
    assert rules[0]["action"] == "sync+restart" and rules[0]["target"] == "/app"
    assert [r["path"] for r in rules[1:]] == ["../../../node/package-lock.json", "../../../node/package.json"]


@pytest.mark.parametrize(("build", "why"), [
    ('Build.python("py", ["python", "-m", "app"]), port=8000', "a read-only root takes no copy"),
    ('Build.go("go"), port=8080' + WRITABLE, "the image holds a compiled binary, not the source"),
    ('Build.node("node", ["node", "dist/server.js"], build_command=["npm", "run", "build"]), port=3000' + WRITABLE,
     "the image holds the build's output"),
    ('Build.dockerfile("own/Dockerfile"), port=8000, run_as_user=10001, run_as_group=10001' + WRITABLE,
     "where a team's Dockerfile puts the source is unknown"),
])
def test_where_a_sync_cannot_work_any_change_rebuilds(tmp_path, build, why):
    rules = watch_of(tmp_path, f'WebService(dev, "api", build={build})')
    folder = build.split('"')[1].split("/")[0]
    assert rules == [{"action": "rebuild", "path": f"../../../{folder}", "ignore": IGNORED}], why


def test_jobs_and_pulled_images_have_no_watch(tmp_path):
    doc = compose(tmp_path, 'db = StatefulDB(dev, "db", engine="postgres", version="16", storage="1Gi")\n'
                  'api = WebService(dev, "api", build=Build.python("py", ["python", "-m", "app"]), port=8000, '
                  'connects_to=[db])\n'
                  'CronJob(dev, "report", schedule="0 6 * * *", image_of=api, command=["python", "-m", "r"])\n')
    assert "develop" in doc["services"]["api"]
    assert "develop" not in doc["services"]["report"] and "develop" not in doc["services"]["db"]


def test_the_watch_ignores_what_the_generated_dockerignore_excludes(tmp_path):
    write_sources(tmp_path)
    (tmp_path / "py" / ".dockerignore").write_text("local-data/\n")
    files = render(exec_app(APP.replace("BUILD", 'WebService(dev, "api", build=Build.python("py", ["python", "-m", '
                                        '"app"]), port=8000)'), tmp_path), tmp_path / "out")
    rules = [line for line in files["docker/api/Dockerfile.dockerignore"].splitlines()
             if line and not line.startswith("#")]
    [watch] = yaml.safe_load(files["compose/compose.yaml"])["services"]["api"]["develop"]["watch"]
    assert watch["ignore"] == rules and "local-data/" in rules


@pytest.mark.slow
def test_docker_compose_accepts_every_kind_of_rule(tmp_path):
    body = "\n".join([
        'WebService(dev, "api", build=Build.python("py", ["python", "-m", "app"]), port=8000' + WRITABLE + ')',
        'WebService(dev, "web", build=Build.node("node", ["node", "server.js"]), port=3000)',
        'WebService(dev, "gw", build=Build.go("go"), port=8080)'])
    write_sources(tmp_path)
    files = render(exec_app(APP.replace("BUILD", body), tmp_path), tmp_path / "out")
    folder = tmp_path / "out" / "shop" / "compose"
    folder.mkdir(parents=True)
    (folder / "compose.yaml").write_text(files["compose/compose.yaml"])
    result = subprocess.run([str(Path(sys.executable).with_name("docker-compose")), "-f", "compose.yaml", "config",
                             "--format", "json"], cwd=folder, capture_output=True, text=True)
    assert result.returncode == 0 and "level=warning" not in result.stderr, result.stderr
    import json

    read = json.loads(result.stdout)["services"]
    assert read["api"]["develop"]["watch"][0]["action"] == "sync+restart"
    assert {r["action"] for r in read["gw"]["develop"]["watch"]} == {"rebuild"}
