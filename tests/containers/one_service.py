"""One service of a small app made in a test (not a reference app): render it, build its image with buildah, run
it under the hardening every generated compose service has, and see it get healthy and stop on SIGTERM."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import exec_app
from containers.building import assert_built, bud
from containers.rig import Rig
from shipform.synth.pipeline import render

HARDENED = ["--network=none", "--read-only", "--read-only-tmpfs=false", "--tmpfs=/tmp:size=64m,mode=1777",
            "--cap-drop=ALL", "--security-opt=no-new-privileges:true"]
"""The pod's hardening; the user is the image's USER, which is the service's runAsUser."""


def build_service(rig: Rig, folder: Path, app_source: str, service: str, context: Path) -> tuple[str, str]:
    """Render the app (Python source run as ``folder/app.py``), build ``service`` from ``context``; returns its
    Dockerfile's text and the image tag."""
    (folder / "requirements.txt").write_text("shipform\n")  # what CI installs (build contexts are subfolders)
    files = render(exec_app(textwrap.dedent(app_source), folder), folder / "out")
    docker = folder / "out" / "docker" / service
    docker.mkdir(parents=True)
    for name in ("Dockerfile", "Dockerfile.dockerignore"):
        (docker / name).write_text(files[f"docker/{service}/{name}"])
    tag = f"localhost/shipform-test-{service}:test"
    assert_built(bud(rig, docker / "Dockerfile", context, tag), docker / "Dockerfile")
    return files[f"docker/{service}/Dockerfile"], tag


@contextmanager
def running(rig: Rig, tag: str, name: str) -> Iterator[str]:
    """The image running detached under the hardening; removed, with the image, afterwards."""
    rig.podman("rm", "--force", name, check=False)
    rig.podman("run", "--detach", "--name", name, *HARDENED, tag)
    try:
        yield name
    finally:
        rig.podman("rm", "--force", name, check=False)
        rig.podman("rmi", "--force", tag, check=False)


def assert_healthy(rig: Rig, name: str, seconds: int = 60) -> None:
    """Its generated probe program passes within ``seconds``."""
    for _ in range(seconds):
        if rig.podman("exec", name, "/usr/local/bin/healthcheck", check=False).returncode == 0:
            return
        time.sleep(1)
    raise AssertionError(rig.podman("logs", name, check=False).stderr)


def assert_stops_on_sigterm(rig: Rig, name: str) -> None:
    rig.podman("kill", "--signal", "TERM", name)
    rig.podman("wait", name, timeout=60)
    assert rig.inspect_container(name)["State"]["ExitCode"] == 0
