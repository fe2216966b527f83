"""Dockerfile and .dockerignore of a workload built from source."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

from shipform import templating
from shipform.build import POETRY_VERSION, TINI_DEBIAN_VERSION, UV_IMAGE
from shipform.health import PROBE_PATH

if TYPE_CHECKING:
    from shipform.workload import Workload


def exec_form(args: list[str] | tuple[str, ...]) -> str:
    """JSON array: Docker's exec form, so no shell sits between tini and the process."""
    return json.dumps(list(args))


def probe_lines(w: Workload) -> str:
    """The generated probe program, as shell-quoted printf arguments (no heredocs: older builders lack them)."""
    assert w.build is not None and w.health is not None
    source = templating.render(f"probes/{w.build.preset}-{w.health.kind}.j2", port=w.port,
                               path=w.health.path, timeout=w.health.timeout_seconds)
    return " \\\n    ".join(shlex.quote(line) for line in source.rstrip("\n").split("\n"))


def healthcheck(w: Workload) -> dict[str, object] | None:
    if w.health is None:
        return None
    return {"interval": w.health.period_seconds, "timeout": w.health.timeout_seconds,
            "retries": w.health.failure_threshold,
            "test": exec_form(w.health.exec_test())}


def render_dockerfile(w: Workload, marker: str) -> str:
    build = w.build
    assert build is not None
    layout = build.detect_layout(w.path, w.app.root / build.context)
    command = w.command or build.command or build.spec.default_command
    builder_image, runtime_image = build.base_images()
    probe_kind = w.health.kind if w.health else "tcp"
    needs_probe = w.health is not None and probe_kind != "command"
    return templating.render(
        f"dockerfile/{build.preset}.Dockerfile.j2",
        marker=marker, builder_image=builder_image, runtime_image=runtime_image, layout=layout[0],
        uv_image=UV_IMAGE, poetry_version=POETRY_VERSION, tini_version=TINI_DEBIAN_VERSION,
        probe_lines=probe_lines(w) if needs_probe else "",
        probe_source="/out/healthcheck.go" if build.preset == "go" else "/out/healthcheck",
        probe_path=PROBE_PATH, healthcheck=healthcheck(w), uid=w.run_as_user, gid=w.run_as_group,
        port=w.port, command=exec_form(command), image_title=f"{w.app.name}-{w.name}", version=w.app.version,
        build_command=shlex.join(build.build_command), package=build.package,
    )


def render_dockerignore(marker: str) -> str:
    return templating.render("dockerignore.j2", marker=marker)
