"""Each built image runs under the compose file's hardening, gets healthy, and stops on SIGTERM in time."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from containers import apps
from containers.building import built_image
from containers.report import REPORT, seconds
from containers.rig import Rig, tail

pytestmark = pytest.mark.containers


def config_args(app_name: str, service: dict) -> list[str]:
    """The compose service's configs (files= in the app) mounted read-only where compose mounts them."""
    doc = apps.compose_document(app_name) or {}
    folder = apps.compose_file(app_name).parent
    return [f"--volume={(folder / doc['configs'][c['source']]['file']).resolve()}:{c['target']}:ro,Z"
            for c in service.get("configs", [])]


def hardening_args(service: dict) -> list[str]:
    """The compose service's read-only root, tmpfs, volumes, capabilities, security options and user, as podman
    flags.

    --read-only-tmpfs=false: podman would otherwise add writable /tmp, /run and /var/tmp that compose
    (and Docker's --read-only) do not.
    """
    args = ["--read-only", "--read-only-tmpfs=false"] if service.get("read_only") else []
    args += [f"--tmpfs={mount}" for mount in service.get("tmpfs", [])]
    # Each named volume as a fresh anonymous one (removed with the container): like a new compose volume, it is
    # seeded with the image's folder, owner included.
    args += [f"--volume={volume['target']}" for volume in service.get("volumes", []) if volume["type"] == "volume"]
    args += [f"--cap-drop={cap}" for cap in service.get("cap_drop", [])]
    args += [f"--cap-add={cap}" for cap in service.get("cap_add", [])]
    args += [f"--security-opt={opt}" for opt in service.get("security_opt", [])]
    return args + ([f"--user={service['user']}"] if "user" in service else [])


def health_command(test: list[str]) -> list[str]:
    return test[1:] if test[0] == "CMD" else ["/bin/sh", "-c", test[1]]


def wait_healthy(rig: Rig, name: str, command: list[str], bound: float) -> float:
    """Seconds until the health command first succeeds inside the container; fails past `bound`."""
    started = time.monotonic()
    last = None
    while time.monotonic() - started < bound:
        state = rig.inspect_container(name)["State"]
        assert state["Running"], f"{name} exited ({state['ExitCode']}):\n{tail(rig.podman('logs', name).stderr)}"
        last = rig.podman("exec", name, *command, check=False, timeout=30)
        if last.returncode == 0:
            return time.monotonic() - started
        time.sleep(1)
    pytest.fail(f"{name}: {command} did not succeed within {bound:.0f}s; last: {last and last.stderr}")


def stop_with_sigterm(rig: Rig, name: str, grace: float) -> tuple[float, int]:
    """Seconds from SIGTERM to exit, and the exit code; fails if the container outlives the grace period."""
    started = time.monotonic()
    rig.podman("kill", "--signal", "TERM", name)
    try:
        rig.podman("wait", name, timeout=grace)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name} still running {grace}s after SIGTERM (PID 1 does not handle signals?)")
    return time.monotonic() - started, rig.inspect_container(name)["State"]["ExitCode"]


def pid1(rig: Rig, name: str) -> str:
    """PID 1's command line, read from the host (the image may have no shell or ps)."""
    rows = rig.podman("top", name, "pid", "args").stdout.splitlines()[1:]
    return next(row.split(None, 1)[1].strip() for row in rows if row.split()[0] == "1")


@pytest.mark.parametrize("image_id", apps.dockerfile_ids())
def test_container_gets_healthy_and_stops_on_sigterm(rig, builder, image_id):
    image, result = built_image(builder, image_id)
    if not result.ok:
        pytest.skip("the image did not build (see test_dockerfile_builds)")
    check = rig.image_config(image.tag).get("Healthcheck")
    if not check:
        pytest.skip("the image has no HEALTHCHECK to run")
    service = apps.compose_service(image.app, image.service)
    if service is None:
        pytest.skip("no compose service declares this image's runtime hardening")
    row = REPORT.row(image_id)
    name = f"shipform-run-{image.app}-{image.service}"
    rig.podman("rm", "--force", name, check=False)
    # No network: the probe talks to 127.0.0.1 inside the container, and nothing else is needed.
    rig.podman("run", "--detach", "--name", name, "--network=none", *hardening_args(service),
               *config_args(image.app, service), image.tag)
    try:
        bound = start_period(service) + check["Interval"] / 1e9 * check["Retries"]
        row.health = "no"
        healthy_after = wait_healthy(rig, name, health_command(check["Test"]), bound)
        row.health = f"yes ({seconds(healthy_after)})"
        assert pid1(rig, name).startswith(apps.TINI[0]), "tini must be PID 1"
        for config in service.get("configs", []):  # the app user reads each mounted config file, cannot change it
            assert file_access(rig, name, config["target"], "r") == 0, config["target"]
            assert file_access(rig, name, config["target"], "a") == 1, config["target"]
        uncompiled = rig.podman("exec", name, "python3", "-c", UNCOMPILED, check=False)
        if uncompiled.returncode not in (126, 127):  # a Python image: its code was compiled when it was built
            assert uncompiled.stdout.strip() == "[]", f"no bytecode for {uncompiled.stdout}"
        leftovers = escalation_and_install_tools(rig, name)
        assert leftovers in (None, "[] []"), f"setuid/setgid files, package managers: {leftovers}"
        row.sigterm = "no"
        stopped_after, code = stop_with_sigterm(rig, name, image.grace_seconds)
        row.sigterm = f"yes ({seconds(stopped_after)}, exit {code}, grace {image.grace_seconds}s)"
        assert code != 137, "killed, not stopped"
    finally:
        rig.podman("rm", "--force", "--volumes", name, check=False)


UNCOMPILED = ("import importlib.util, pathlib; print([str(p) for p in pathlib.Path('/app').rglob('*.py') "
              "if not pathlib.Path(importlib.util.cache_from_source(str(p))).exists()])")
TOOLS = ("pip", "pip3", "apt", "apt-get", "dpkg", "npm", "npx", "corepack")
PY_SCAN = f"""import os, shutil, stat
bad = []
for top in ("/bin", "/sbin", "/usr", "/opt", "/app", "/etc", "/var", "/lib"):
    for root, _, files in os.walk(top):
        for f in files:
            try:
                mode = os.lstat(os.path.join(root, f)).st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode) and mode & 0o6000:
                bad.append(os.path.join(root, f))
print(sorted(bad), [t for t in {TOOLS!r} if shutil.which(t)])"""
JS_SCAN = f"""const fs = require("fs"), path = require("path"), bad = [];
const walk = (d) => {{ let es = []; try {{ es = fs.readdirSync(d, {{withFileTypes: true}}); }} catch (e) {{ return; }}
  for (const e of es) {{ const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p); else if (e.isFile() && (fs.lstatSync(p).mode & 0o6000)) bad.push(p); }} }};
["/bin", "/sbin", "/usr", "/opt", "/app", "/etc", "/var", "/lib"].forEach(walk);
const on = {json.dumps(list(TOOLS))}.filter((t) => (process.env.PATH || "").split(":").some((d) => {{
  try {{ fs.accessSync(path.join(d, t), fs.constants.X_OK); return true; }} catch (e) {{ return false; }} }}));
console.log(JSON.stringify(bad.sort()), JSON.stringify(on));"""


def escalation_and_install_tools(rig: Rig, name: str) -> str | None:
    """'<setuid/setgid files> <package managers on PATH>' as the image's Python or Node prints them; None for an
    image with neither (Go's runtime image is empty: it has no such files or tools to find)."""
    for command in (["python3", "-c", PY_SCAN], ["node", "-e", JS_SCAN]):
        result = rig.podman("exec", name, *command, check=False)
        if result.returncode not in (126, 127):
            assert result.returncode == 0, result.stderr
            return result.stdout.strip().replace('"', "'").replace(",", ", ").replace(",  ", ", ")
    return None


def file_access(rig: Rig, name: str, path: str, mode: str) -> int:
    """Exit code of opening ``path`` in ``mode`` inside the container, with its Python or Node (0: it could)."""
    for command in (["python3", "-c", f"open({path!r}, {mode!r})"],
                    ["node", "-e", f"require('fs').closeSync(require('fs').openSync({path!r}, {mode!r}))"]):
        result = rig.podman("exec", name, *command, check=False)
        if result.returncode not in (126, 127):  # the interpreter exists
            return 0 if result.returncode == 0 else 1
    pytest.fail(f"{name} has neither python3 nor node to open {path}")


def start_period(service: dict) -> float:
    return apps.duration_seconds(service.get("healthcheck", {}).get("start_period", "0s"))
