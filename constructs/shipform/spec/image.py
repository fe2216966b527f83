"""How a workload's image is built from source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class BuiltImage:
    """An image built from source by the Dockerfile of workload ``dockerfile_of``, from ``context``: the one
    shipform generates, or the team's own ``dockerfile``."""

    dockerfile_of: str
    context: Path
    dockerfile: Path | None = None


@dataclass(frozen=True)
class ImageBuild:
    """How the workload's image is built from source (only on the workload that owns the Dockerfile)."""

    preset: Literal["python", "node", "go", "dockerfile"]
    context: Path
    layout: str
    builder_image: str
    runtime_image: str
    command: tuple[str, ...]
    build_command: tuple[str, ...]
    package: str
    title: str
    version: str
    build_packages: tuple[str, ...] = ()
    runtime_packages: tuple[str, ...] = ()
    args: tuple[tuple[str, str], ...] = ()
    dockerfile: Path | None = None
    """The team's own Dockerfile (preset 'dockerfile'): nothing is generated for it."""
    project_ignore: tuple[str, ...] = ()
    """The rules of the context's own .dockerignore, which the generated ignore file keeps."""
    runtime: Literal["debian", "distroless"] = "debian"
    """The runtime image's kind: Debian (with a shell, stripped) or distroless (no shell at all)."""
    installer: str = ""
    """Node: the tool that installs the lockfile ('npm', 'pnpm', 'yarn', 'yarn-berry', 'bun')."""
    runtime_files: tuple[str, ...] = ()
    """Node: what the runtime image copies besides package.json and node_modules (package.json's files and main);
    () for the whole build context."""
    dependency_files: tuple[str, ...] = ()
    """The files the dependency install step copies before the source (the detected layout: requirements.txt,
    pyproject.toml with its lockfile, package.json with its lockfile, go.mod), relative to the context: a change
    to one needs a new image."""
    native: tuple[str, ...] = ()
    """Dependencies found in the lockfile that brought build or runtime packages the app did not list itself."""
    uv_image: str = ""
    """Python with uv.lock: the image the build stage copies uv from (``COPY --from=``); '' otherwise."""

    def bases(self) -> tuple[str, ...]:
        """Every image the Dockerfile pulls (each stage's FROM and the images ``COPY --from`` copies from), once
        each, in Dockerfile order; not ``scratch`` (nothing is pulled) and none for the team's own Dockerfile."""
        found = (self.builder_image, self.uv_image, self.runtime_image)
        return tuple(dict.fromkeys(image for image in found if image and image != SCRATCH))


SCRATCH = "scratch"
"""Docker's empty base: FROM scratch pulls nothing."""
