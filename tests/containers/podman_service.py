"""Podman's Docker-compatible API for docker-compose, and the health checks podman 4.3 does not run by itself."""

from __future__ import annotations

import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from containers.rig import Rig


class PodmanService:
    """`podman system service` on a socket in a temporary folder; DOCKER_HOST points docker-compose at it."""

    def __init__(self, rig: Rig, folder: Path):
        self.rig = rig
        self.socket = folder / "podman.sock"
        self.log = folder / "podman-service.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return dict(self.rig.env, DOCKER_HOST=f"unix://{self.socket}")

    def start(self, timeout: float = 30) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(["podman", "system", "service", "--time", "0", f"unix://{self.socket}"],
                                            env=self.rig.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"podman system service exited: {self.log.read_text()[-2000:]}")
            probe = self.rig.podman("--remote", "--url", f"unix://{self.socket}", "version", check=False)
            if probe.returncode == 0:
                return
            time.sleep(0.5)
        raise RuntimeError(f"podman system service did not answer on {self.socket} within {timeout}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class HealthDriver(threading.Thread):
    """Runs `podman healthcheck run` on a compose project's running containers every `every` seconds.

    Podman 4.3 schedules health checks with systemd timers; without systemd no check ever runs and compose
    would wait for `healthy` forever. The loop stops when asked or at its deadline, whichever comes first.
    Containers without a HEALTHCHECK make the command fail; that is expected and ignored.

    ``first_healthy`` maps a container ID to when its first passing check started and ended: the container
    turned healthy in between, so a dependent started later than the start did start after it was healthy.
    """

    def __init__(self, rig: Rig, project: str, deadline_seconds: float, every: float = 2.0):
        super().__init__(daemon=True)
        self.rig = rig
        self.project = project
        self.deadline = time.monotonic() + deadline_seconds
        self.every = every
        self.stopped = threading.Event()
        self.first_healthy: dict[str, tuple[datetime, datetime]] = {}

    def run(self) -> None:
        while not self.stopped.is_set() and time.monotonic() < self.deadline:
            for container in self._running():
                self._check(container)
            self.stopped.wait(self.every)

    def _check(self, container: str) -> None:
        started = datetime.now(UTC)
        if self.rig.podman("healthcheck", "run", container, check=False, timeout=30).returncode == 0:
            self.first_healthy.setdefault(container, (started, datetime.now(UTC)))

    def _running(self) -> list[str]:
        proc = self.rig.podman("ps", "--quiet", "--no-trunc", "--filter",
                               f"label=com.docker.compose.project={self.project}", check=False, timeout=30)
        return proc.stdout.split()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=60)
