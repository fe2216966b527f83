"""`shipform init` end to end, with real processes in a fresh folder: for each preset the new repository
synthesizes with no error, `synth --check` passes, its own tests pass, docker-compose reads its compose file, and
its service's server starts and answers its health endpoint (node and go where they are installed). The shipform
these processes import is the one under test (PYTHONPATH as given); nothing is installed."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from shipform.delivery.init import HEALTH, STARTERS

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
CASES = [  # (preset, NAME given; the folder is 'shop'): a digit first and 63 characters need props of their own
    ("python", None),
    ("node", "1-node-shop"),
    ("go", "g" * 63),
]


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1", "CDK8S_OUTDIR": "", **env})


def shipform(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([str(BIN / "shipform"), *args], cwd)


def new_repository(tmp_path: Path, preset: str, name: str | None) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir()
    result = shipform("init", "--preset", preset, *([name] if name else []), cwd=folder)
    assert result.returncode == 0 and result.stderr == "", result.stdout + result.stderr
    assert "created app.py" in result.stdout and "to do:" not in result.stdout
    return folder


@pytest.mark.parametrize(("preset", "name"), CASES, ids=[c[0] for c in CASES])
def test_init_then_synth_check_its_tests_and_compose_pass(tmp_path, preset, name):
    folder = new_repository(tmp_path, preset, name)
    app = name or "shop"
    synth = shipform("synth", cwd=folder)
    assert synth.returncode == 0 and "error" not in synth.stderr, synth.stderr
    assert synth.stdout.startswith(f"{app}: ") and f"file(s) written to dist/{app}/ and .github/workflows/" \
        in synth.stdout
    output = folder / "dist" / app
    assert (output / "docker" / "api" / "Dockerfile").is_file()
    assert (output / "k8s" / "prod" / f"statefulset-{app}-db.yaml").is_file()
    assert (folder / ".github" / "workflows" / f"{app}-ci.yaml").is_file()
    check = shipform("synth", "--check", cwd=folder)
    assert check.returncode == 0 and check.stdout.startswith(f"up to date: {app}"), check.stderr
    tests = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], folder)
    assert tests.returncode == 0 and "3 passed" in tests.stdout, tests.stdout + tests.stderr
    compose = run([str(BIN / "docker-compose"), "-f", "compose.yaml", "config", "--quiet"], output / "compose")
    assert compose.returncode == 0 and compose.stderr == "", compose.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def server_command(preset: str, service: Path, tmp_path: Path) -> list[str]:
    """How the preset's server runs here, or a skip saying what is missing."""
    if preset == "python":
        return [sys.executable, "server.py"]
    tool = shutil.which(preset)
    if tool is None:
        pytest.skip(f"`{preset}` is not on PATH: the {preset} server is not started here")
    if preset == "node":
        return [tool, "server.js"]
    built = run([tool, "build", "-o", str(tmp_path / "server"), "."], service, GOTOOLCHAIN="local", GOFLAGS="-mod=mod",
                GOCACHE=str(tmp_path / "go-cache"), GOPATH=str(tmp_path / "go-path"))
    if "requires go >=" in built.stderr:
        pytest.skip(f"the local go is older than the preset's, and downloads none: {built.stderr.strip()}")
    assert built.returncode == 0, built.stderr
    return [str(tmp_path / "server")]


@pytest.mark.parametrize("preset", list(STARTERS))
def test_the_services_server_answers_its_health_endpoint_and_reads_the_database_variables(tmp_path, preset):
    folder = new_repository(tmp_path, preset, None)
    service = folder / "services" / "api"
    command = server_command(preset, service, tmp_path)
    password = tmp_path / "db-password"
    password.write_text("local\n")
    port = free_port()
    with socket.socket() as database:  # a listening port stands in for the database: the server only connects
        database.bind(("127.0.0.1", 0))
        database.listen()
        env = {"PORT": str(port), "DB_HOST": "127.0.0.1", "DB_PORT": str(database.getsockname()[1]),
               "DB_NAME": "shop", "DB_USER": "shop", "DB_PASSWORD_FILE": str(password),
               "DB_URL": f"postgresql://shop@127.0.0.1:{database.getsockname()[1]}/shop"}
        server = subprocess.Popen(command, cwd=service, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    status, body = get(port, HEALTH)
                    break
                except (urllib.error.URLError, ConnectionError):
                    assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            assert (status, body) == (200, {"status": "ok"})
            status, body = get(port, "/")
            assert status == 200 and body["database"] == {
                "host": "127.0.0.1", "port": database.getsockname()[1], "name": "shop", "user": "shop",
                "url": env["DB_URL"], "password_file": True, "reachable": True}
            assert get(port, "/nowhere")[0] == 404
        finally:
            server.terminate()
            server.wait(timeout=10)
