"""compose's ``develop.watch`` for the services compose builds: `docker compose watch` as the local dev loop
(compose specification, "Develop": a rule per path, ``action`` sync, sync+restart or rebuild, ``target`` and
``ignore`` with .dockerignore's syntax, relative to the rule's path)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from shipform import spec
from shipform.render import build_ignore

SOURCE_TARGET = "/app"
"""Where the generated runtime stage copies the build context (`COPY . /app`, its WORKDIR)."""


def syncs(w: spec.Workload, build: spec.ImageBuild) -> bool:
    """Whether copying changed source into the running container gives what a new image would hold. Not for Go
    (the image holds a static binary compiled in the build stage, no source), a team's own Dockerfile (where the
    source lands is unknown), Node with a build command (the image holds the build's output) or with package.json
    ``files`` (the image holds only those), nor where the root filesystem is read-only (the default): the Docker
    Engine refuses to copy into such a container ("container rootfs is marked read-only"), so a sync could never
    succeed. Those rebuild instead; the dependency install stays cached, only the source layers build again."""
    if not w.read_only_root_filesystem and build.preset == "python":
        return True
    return (not w.read_only_root_filesystem and build.preset == "node" and not build.build_command
            and not build.runtime_files)


def watch(w: spec.Workload, build: spec.ImageBuild | None, compose_dir: Path) -> list[dict[str, Any]]:
    """The watch rules of a long-running service compose builds (none for a job or an image pulled): sync the
    source to the container and restart it (the servers do not reload code themselves), rebuild when a
    dependency file changes; or, where a sync cannot work (:func:`syncs`), rebuild on any change. Either way
    nothing the image leaves out (the generated .dockerignore's rules) triggers anything."""
    if w.built is None or w.job is not None:
        return []
    context = os.path.relpath(w.built.context, compose_dir)
    ignore = [*(build.project_ignore if build else ()), *build_ignore.NEVER, *build_ignore.LOCAL,
              *build_ignore.INSTRUCTIONS]
    if build is None or not syncs(w, build):
        return [{"action": "rebuild", "path": context, "ignore": ignore}]
    return [{"action": "sync+restart", "path": context, "target": SOURCE_TARGET,
             "ignore": [*build.dependency_files, *ignore]},
            *({"action": "rebuild", "path": f"{context}/{name}"} for name in build.dependency_files)]
