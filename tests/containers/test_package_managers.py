"""A Node app on pnpm (tests/containers/pnpm_app, a real lockfile with one dependency): corepack installs the pnpm
that package.json pins, `pnpm install --frozen-lockfile --prod` installs the lockfile, and the image serves healthy
(its health check needs the dependency) and stops on SIGTERM under the usual hardening."""

from __future__ import annotations

import shutil
import textwrap
import time
from pathlib import Path

import pytest

from conftest import REPO, exec_app
from containers.building import assert_built, bud
from shipform.synth.pipeline import render

pytestmark = pytest.mark.containers


def test_a_node_app_on_pnpm_builds_and_serves_healthy(rig, standins, tmp_path: Path):
    shutil.copytree(REPO / "tests" / "containers" / "pnpm_app", tmp_path / "web")
    source = textwrap.dedent("""
        from shipform import *
        app = App("pnpm", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        WebService(dev, "web", build=Build.node("web", ["node", "server.js"]), port=3000,
                   health=Health.http("/healthz"))
    """)
    files = render(exec_app(source, tmp_path), tmp_path / "out")
    assert "pnpm install --frozen-lockfile --prod" in files["docker/web/Dockerfile"]
    folder = tmp_path / "out" / "docker" / "web"
    folder.mkdir(parents=True)
    for name in ("Dockerfile", "Dockerfile.dockerignore"):
        (folder / name).write_text(files[f"docker/web/{name}"])
    tag, name = "localhost/shipform-pnpm-web:test", "shipform-pnpm-web"
    assert_built(bud(rig, folder / "Dockerfile", tmp_path / "web", tag), folder / "Dockerfile")
    rig.podman("rm", "--force", name, check=False)
    rig.podman("run", "--detach", "--name", name, "--network=none", "--read-only", "--read-only-tmpfs=false",
               "--tmpfs=/tmp:size=64m,mode=1777", "--cap-drop=ALL", "--security-opt=no-new-privileges:true",
               "--user=10001:10001", tag)
    try:
        healthy = False
        for _ in range(30):
            if rig.podman("exec", name, "/usr/local/bin/healthcheck", check=False).returncode == 0:
                healthy = True
                break
            time.sleep(1)
        assert healthy, rig.podman("logs", name, check=False).stderr
        listing = rig.podman("exec", name, "ls", "/app/node_modules", "/app/node_modules/.pnpm").stdout
        assert "ms" in listing and "ms@2.1.3" in listing  # pnpm's layout, from the lockfile
        # Neither pnpm nor corepack reached the runtime image.
        assert rig.podman("exec", name, "sh", "-c", "command -v pnpm || command -v corepack",
                          check=False).returncode != 0
        rig.podman("kill", "--signal", "TERM", name)
        rig.podman("wait", name, timeout=30)
        assert rig.inspect_container(name)["State"]["ExitCode"] == 0
    finally:
        rig.podman("rm", "--force", name, check=False)
        rig.podman("rmi", "--force", tag, check=False)
