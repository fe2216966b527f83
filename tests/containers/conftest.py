"""Fixtures of the container tests: the rig, the stand-in base images, the built images, podman's API.

The tests skip when this machine cannot run containers (not root, buildah/podman/runc/debootstrap missing);
with SHIPFORM_REQUIRE_CONTAINERS=1 (CI sets it) they fail instead, so a broken install cannot pass silently.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import parallel
from containers.apps import DIST
from containers.building import Builder
from containers.podman_service import PodmanService
from containers.report import REPORT, seconds
from containers.rig import Rig, cache_dir, missing_prerequisites
from containers.standins import ensure_standins, from_images


@pytest.fixture(scope="session")
def rig() -> Iterator[Rig]:
    reason = missing_prerequisites()
    if reason:
        if os.environ.get("SHIPFORM_REQUIRE_CONTAINERS") == "1":
            pytest.fail(f"container tests required but cannot run: {reason}")
        pytest.skip(reason)
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    # One run at a time: concurrent runs would share the storage, the compose project and its port.
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield Rig.create(cache)


@pytest.fixture(scope="session")
def standins(rig: Rig):
    """Stand-ins for every base image any generated Dockerfile builds FROM; cached in the rig's storage."""
    images = sorted({image for dockerfile in DIST.glob("*/docker/*/Dockerfile") for image in from_images(dockerfile)})
    started = time.monotonic()
    found = ensure_standins(rig, images)
    for standin in found.values():
        timing = f" in {seconds(standin.seconds)}" if standin.state == "built" else ""
        REPORT.standins.append(f"{standin.image} -> {standin.reference}: {standin.state}{timing}")
    REPORT.standins.append(f"(stand-ins ready after {seconds(time.monotonic() - started)}, cache {rig.cache})")
    return found


@pytest.fixture(scope="session")
def builder(rig: Rig, standins) -> Builder:
    return Builder(rig, standins)


@pytest.fixture(scope="session")
def podman_api(rig: Rig) -> Iterator[PodmanService]:
    # A short folder: a unix socket path must stay under 108 bytes.
    with tempfile.TemporaryDirectory(prefix="shipform-podman-") as folder:
        service = PodmanService(rig, Path(folder))
        service.start()
        try:
            yield service
        finally:
            service.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    parallel.share_section(session.config, "real containers", REPORT.lines())


def pytest_terminal_summary(terminalreporter) -> None:
    lines = REPORT.lines()
    if lines:
        terminalreporter.section("real containers")
        for line in lines:
            terminalreporter.write_line(line)
