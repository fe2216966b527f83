"""A Node app on pnpm (tests/containers/pnpm_app, a real lockfile with one dependency): corepack installs the pnpm
that package.json pins, `pnpm install --frozen-lockfile --prod` installs the lockfile, and the image serves healthy
(its health check needs the dependency) and stops on SIGTERM under the usual hardening."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO
from containers.one_service import assert_healthy, assert_stops_on_sigterm, build_service, running

pytestmark = pytest.mark.containers


def test_a_node_app_on_pnpm_builds_and_serves_healthy(rig, standins, tmp_path: Path):
    shutil.copytree(REPO / "tests" / "containers" / "pnpm_app", tmp_path / "web")
    dockerfile, tag = build_service(rig, tmp_path, """
        from shipform import *
        app = App("pnpm", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        WebService(dev, "web", build=Build.node("web", ["node", "server.js"]), port=3000,
                   health=Health.http("/healthz"))
    """, "web", tmp_path / "web")
    assert "pnpm install --frozen-lockfile --prod" in dockerfile
    with running(rig, tag, "shipform-pnpm-web") as name:
        assert_healthy(rig, name, 30)
        listing = rig.podman("exec", name, "ls", "/app/node_modules", "/app/node_modules/.pnpm").stdout
        assert "ms" in listing and "ms@2.1.3" in listing  # pnpm's layout, from the lockfile
        # Neither pnpm nor corepack reached the runtime image.
        assert rig.podman("exec", name, "sh", "-c", "command -v pnpm || command -v corepack",
                          check=False).returncode != 0
        assert_stops_on_sigterm(rig, name)
