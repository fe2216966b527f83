"""The container rig: buildah and podman (rootful, no systemd) with their own configuration and storage.

Everything the rig keeps between runs lives under one cache folder (``SHIPFORM_CONTAINERS_CACHE``, else
``~/.cache/shipform-containers``): the container storage with the stand-in base images and their build
layers, and the debootstrap tarball they start from. Delete the folder to start cold.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REQUIRED_TOOLS = ("buildah", "podman", "runc", "debootstrap")
RUNROOT = Path("/run/shipform-containers")

# Podman 4.3 without systemd: runc and cgroupfs, and a file event log (no journald). Rootful podman raises
# nofile/nproc to 1048576 by default; this machine's hard limits are lower and cannot be raised, so runc
# fails with "error setting rlimit type 7: operation not permitted" unless containers get lower ones.
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
"""

STORAGE_CONF = """\
[storage]
driver = "overlay"
graphroot = "{graphroot}"
runroot = "{runroot}"
"""


def cache_dir() -> Path:
    return Path(os.environ.get("SHIPFORM_CONTAINERS_CACHE", Path.home() / ".cache" / "shipform-containers"))


def missing_prerequisites() -> str | None:
    """Why this machine cannot run the rig, or None when it can."""
    if os.geteuid() != 0:
        return "the rig runs rootful podman/buildah (runc, cgroupfs): run the tests as root"
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)}: apt-get install buildah podman runc debootstrap"
    return None


class CommandError(AssertionError):
    """A rig command failed; the message carries the command and its stderr, so test output shows them."""


@dataclass
class Rig:
    cache: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, cache: Path) -> Rig:
        """Write the rig's containers.conf and storage.conf and point every tool at them via the environment."""
        cache.mkdir(parents=True, exist_ok=True)
        conf = cache / "containers.conf"
        conf.write_text(CONTAINERS_CONF)
        storage = cache / "storage.conf"
        storage.write_text(STORAGE_CONF.format(graphroot=cache / "storage", runroot=RUNROOT))
        env = dict(os.environ, CONTAINERS_CONF=str(conf), CONTAINERS_STORAGE_CONF=str(storage))
        env.pop("DOCKER_HOST", None)
        return cls(cache=cache, env=env)

    def run(self, *args: str | Path, check: bool = True, timeout: float = 900,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                              env=env or self.env, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise CommandError(f"`{' '.join(map(str, args))}` exited {proc.returncode}:\n{tail(proc.stderr)}")
        return proc

    def podman(self, *args: str | Path, **kw) -> subprocess.CompletedProcess[str]:
        return self.run("podman", *args, **kw)

    def image_exists(self, name: str) -> bool:
        return self.podman("image", "exists", name, check=False).returncode == 0

    def image_label(self, name: str, label: str) -> str | None:
        if not self.image_exists(name):
            return None
        labels = json.loads(self.podman("image", "inspect", "--format", "{{json .Labels}}", name).stdout) or {}
        return labels.get(label)

    def image_config(self, name: str) -> dict:
        """The image's Docker config (User, ExposedPorts, Healthcheck, Entrypoint, Cmd), as buildah reads it."""
        return json.loads(self.run("buildah", "inspect", "--type", "image", name).stdout)["Docker"]["config"]

    def inspect_container(self, name: str) -> dict:
        return json.loads(self.podman("container", "inspect", name).stdout)[0]


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def parse_time(stamp: str) -> datetime:
    """Podman's RFC 3339 timestamps carry nanoseconds; datetime takes microseconds."""
    stamp = stamp.replace("Z", "+00:00")
    if "." in stamp:
        head, rest = stamp.split(".", 1)
        digits = len(rest) - len(rest.lstrip("0123456789"))
        stamp = f"{head}.{rest[:min(digits, 6)].ljust(6, '0')}{rest[digits:]}"
    return datetime.fromisoformat(stamp).astimezone(UTC)
