"""Building the generated Dockerfiles with buildah, once per session."""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from containers import apps
from containers.apps import Image
from containers.report import REPORT, seconds
from containers.rig import Rig, tail
from containers.standins import PINNED_TAG, StandIn, from_images


def bud(rig: Rig, dockerfile: Path, context: Path, tag: str) -> subprocess.CompletedProcess[str]:
    """buildah with chroot isolation (no nested namespaces needed), no pulls, Docker format (OCI has no HEALTHCHECK).

    --layers reuses unchanged steps across runs (as Docker's cache does); the ignore file is the one
    BuildKit reads for this Dockerfile (buildah 1.28 does not pick up `<Dockerfile>.dockerignore` itself).
    """
    ignorefile = dockerfile.with_name("Dockerfile.dockerignore")
    with tempfile.TemporaryDirectory(prefix="shipform-bud-") as folder:
        text = dockerfile.read_text()
        if PINNED_TAG.search(text):  # bases the lock pins: built from the stand-in of their tag (README.md)
            dockerfile = Path(folder) / "Dockerfile"
            dockerfile.write_text(PINNED_TAG.sub(r"\1", text))
        args = ["buildah", "bud", "--isolation", "chroot", "--pull-never", "--format", "docker", "--layers",
                "-f", dockerfile, "-t", tag]
        if ignorefile.is_file():
            args += ["--ignorefile", ignorefile]
        return rig.run(*args, context, check=False, timeout=1200)


def assert_built(proc: subprocess.CompletedProcess[str], dockerfile: Path) -> None:
    assert proc.returncode == 0, f"buildah bud -f {dockerfile} exited {proc.returncode}:\n{tail(proc.stderr, 25)}"


@dataclass
class BuildResult:
    proc: subprocess.CompletedProcess[str] | None
    seconds: float
    skipped: str | None = None  # why it was not attempted

    @property
    def ok(self) -> bool:
        return self.proc is not None and self.proc.returncode == 0


class Builder:
    """Builds each reference image at most once per session; later tests reuse the result."""

    def __init__(self, rig: Rig, standins: dict[str, StandIn]):
        self.rig = rig
        self.standins = standins
        self.results: dict[str, BuildResult] = {}

    def build(self, image: Image) -> BuildResult:
        if image.id not in self.results:
            self.results[image.id] = self._build(image)
        return self.results[image.id]

    def _build(self, image: Image) -> BuildResult:
        unavailable = [self.standins[b].state for b in from_images(image.dockerfile)
                       if self.standins[b].containerfile is None]
        if unavailable:
            return BuildResult(None, 0.0, skipped="; ".join(unavailable))
        started = time.monotonic()
        proc = bud(self.rig, image.dockerfile, image.context, image.tag)
        return BuildResult(proc, time.monotonic() - started)


def built_image(builder: Builder, image_id: str) -> tuple[Image, BuildResult]:
    """Build (once per session) and record the result; skip when a base image has no stand-in."""
    app, service = image_id.split("/")
    image = apps.images(app)[service]
    result = builder.build(image)
    row = REPORT.row(image_id)
    if result.skipped:
        row.built = "skipped"
        row.note(f"not built: {result.skipped}")
        pytest.skip(result.skipped)
    row.built = f"{'yes' if result.ok else 'no'} ({seconds(result.seconds)})"
    return image, result
