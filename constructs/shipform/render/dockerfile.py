"""Dockerfile and .dockerignore of a workload built from source."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable

from shipform import spec
from shipform.errors import ShipformError
from shipform.render import build_ignore, templating
from shipform.render.output import Context
from shipform.values.health import PROBE_PATH

TINI_DEBIAN_VERSION = "0.19.0-1*"
"""Debian bookworm's tini; its static build is PID 1 in every image (reaps zombies, forwards signals). Pinned to
the upstream version and Debian revision, any binary rebuild of it: the archive replaces a rebuilt package
(0.19.0-1+b3 by +b4), which an exact pin would no longer find."""
POETRY_VERSION = "1.8.5"
PDM_VERSION = "2.29.4"
PIPENV_VERSION = "2026.10.3"
BUN_VERSION = "1.2.23"
"""bun installs from its own lockfile; npm installs it (pinned) in the build stage, and Node runs the app."""


def exec_form(args: list[str] | tuple[str, ...]) -> str:
    """JSON array: Docker's exec form, so no shell sits between tini and the process."""
    return json.dumps(list(args))


def probe_lines(w: spec.Workload, build: spec.ImageBuild) -> str:
    """The generated probe program, as shell-quoted printf arguments (no heredocs: older builders lack them)."""
    assert w.health is not None and w.health_port is not None
    target = w.health.probe_target(w.health_port.number)
    assert target is not None
    kind, port, path, host, timeout = target
    # distroless keeps node in /nodejs/bin; the official image in /usr/local/bin.
    node = "/nodejs/bin/node" if build.runtime == "distroless" else "/usr/local/bin/node"
    source = templating.render(f"probes/{build.preset}-{kind}.j2", port=port, path=path, host=host,
                               timeout=timeout, node_path=node)
    return " \\\n    ".join(shlex.quote(line) for line in source.rstrip("\n").split("\n"))


def healthcheck(w: spec.Workload) -> dict[str, object] | None:
    if w.health is None:
        return None
    return {"interval": w.health.period_seconds, "timeout": w.health.timeout_seconds,
            "retries": w.health.failure_threshold, "test": exec_form(w.health.exec_test())}


def render_dockerfile(w: spec.Workload, marker: str, data_paths: list[str] | None = None, source: str = "") -> str:
    """The Dockerfile; ``data_paths`` are the folders volumes mount over in some Environment, created in the
    image owned by the app user (a new compose volume copies that owner; Kubernetes sets it with fsGroup);
    ``source`` is the repository URL for the image's source label."""
    build = w.build
    assert build is not None
    needs_probe = w.health is not None and w.health.kind != "exec"
    return templating.render(
        f"dockerfile/{build.preset}.Dockerfile.j2",
        marker=marker, builder_image=build.builder_image, runtime_image=build.runtime_image, layout=build.layout,
        uv_image=build.uv_image, poetry_version=POETRY_VERSION, tini_version=TINI_DEBIAN_VERSION,
        probe_lines=probe_lines(w, build) if needs_probe else "",
        probe_source="/out/healthcheck.go" if build.preset == "go" else "/out/healthcheck",
        probe_path=PROBE_PATH, healthcheck=healthcheck(w), uid=w.run_as_user, gid=w.run_as_group,
        ports=" ".join(str(p.number) for p in w.ports), command=exec_form(build.command), image_title=build.title,
        version=build.version,
        build_command=shlex.join(build.build_command), package=build.package, data_paths=data_paths or [],
        build_packages=build.build_packages, runtime_packages=build.runtime_packages, args=build.args,
        unpinned_build_packages=unpinned(build.build_packages),
        unpinned_runtime_packages=unpinned(build.runtime_packages), runtime=build.runtime,
        tini_stage="tini" if build.preset == "go" else "build", source=source, native=build.native,
        installer=build.installer, runtime_files=build.runtime_files, bun_version=BUN_VERSION,
        pdm_version=PDM_VERSION, pipenv_version=PIPENV_VERSION,
        base_digest=build.runtime_image.partition("@")[2],
    )


def unpinned(packages: tuple[str, ...]) -> str:
    return ", ".join(p for p in packages if "=" not in p)


def render_dockerignore(marker: str, mounted: list[str], project_ignore: tuple[str, ...] = ()) -> str:
    return templating.render("dockerignore.j2", marker=marker, mounted=mounted, project_ignore=project_ignore,
                             never=build_ignore.NEVER, local=build_ignore.LOCAL,
                             instructions=build_ignore.INSTRUCTIONS)


PathsOf = Callable[[spec.Workload, spec.BuiltImage], Iterable[str]]


def per_dockerfile(app: spec.App, paths: PathsOf) -> dict[str, list[str]]:
    """Per Dockerfile, the sorted union of ``paths`` over every workload running its image, in any Environment
    (so every Environment renders the same Dockerfile and ignore file)."""
    result: dict[str, set[str]] = {}
    for env in app.environments:
        for w in env.workloads:
            if w.built is not None:
                result.setdefault(w.built.dockerfile_of, set()).update(paths(w, w.built))
    return {name: sorted(found) for name, found in result.items()}


def data_folders(w: spec.Workload, _: spec.BuiltImage) -> Iterable[str]:
    """The folders a persistent volume mounts over: the image creates them owned by the app user."""
    return (v.mount_path for v in w.volumes if isinstance(v.source, spec.Claim))


def mounted_config_files(w: spec.Workload, built: spec.BuiltImage) -> Iterable[str]:
    """The config files inside the build context that the workload mounts at run time (relative to the context,
    '/'-separated): they stay out of the image."""
    files = w.config.files if w.config is not None else ()
    return (ignore_rule(w.path, f.source.relative_to(built.context).as_posix()) for f in files
            if f.source is not None and f.source.is_relative_to(built.context))


def ignore_rule(path: str, name: str) -> str:
    """The .dockerignore rule for exactly the file ``name`` (the template puts '/' before it, so no rule starts
    with '!' or '#'): glob characters escaped; a name Docker would read as another rule (a newline in it) or
    trim (spaces at its ends) is refused."""
    if not name.isprintable() or name != name.strip():
        raise ShipformError(path, "files", "mounts a file whose name .dockerignore cannot hold (control characters "
                            "or spaces at its ends)", name, "rename the file")
    return re.sub(r"([\\*?\[])", r"\\\1", name)


# dockerfilelint reads this file from the Dockerfile's folder: the accepted risk, with its reason, where it reads it.
DOCKERFILELINT_PLATFORM = """\
# dockerfilelint predates `FROM --platform` and reads "--platform=$BUILDPLATFORM" as a base image without a tag.
# Every FROM here names a pinned tag (hadolint and checkov check that); the build stage runs on the builder's
# own platform so that Go cross-compiles instead of running under emulation.
rules:
  missing_tag: off
"""


def build_platform_stage(dockerfile: str) -> bool:
    return "FROM --platform=$BUILDPLATFORM " in dockerfile


def source_url(app: spec.App) -> str:
    """The repository as a browsable URL (registries link an image to it): https, without '.git'."""
    if app.repository is None:
        return ""
    url = app.repository.url.removesuffix(".git")
    if url.startswith("git@"):
        host, _, path = url.removeprefix("git@").partition(":")
        return f"https://{host}/{path}"
    if url.startswith("ssh://"):
        rest = url.removeprefix("ssh://").split("@", 1)[-1]
        host, _, path = rest.partition("/")
        return f"https://{host.split(':')[0]}/{path}"
    return url


_FIELDS = {"HEALTHCHECK": "health", "CMD": "command", "ENTRYPOINT": "command", "USER": "run_as_user/run_as_group",
           "EXPOSE": "port"}
"""The prop behind each Dockerfile instruction that may differ between Environments; the rest come from build."""


def differing_line(first: str, other: str) -> str:
    """Where two renderings of one Dockerfile part: the prop behind the first line that differs (the health
    check's probe program is written by a RUN that ends in /out/healthcheck), and that line in both."""
    ours, theirs = other.splitlines(), first.splitlines()
    index = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), None)
    if index is None:
        return " (one has more lines)"
    start = max((i for i in range(index + 1) if _instruction(ours[i])), default=index)
    stop = next((i for i in range(index + 1, len(ours)) if _instruction(ours[i])), len(ours))
    instruction = ours[start].split()[0] if ours[start].split() else ""
    prop = "health" if "/out/healthcheck" in "\n".join(ours[start:stop]) else _FIELDS.get(instruction, "build")
    at = next((i for i, (a, b) in enumerate(zip(ours[index], theirs[index], strict=False)) if a != b), 0)
    return f": its {prop} differs ({instruction} here has {_around(ours[index], at)!r}, there " \
           f"{_around(theirs[index], at)!r})"


def _instruction(line: str) -> bool:
    """The line starts a Dockerfile instruction (``RUN ...``), rather than continuing one."""
    word, space, _ = line.partition(" ")
    return bool(space) and word.isascii() and word.isalpha() and word.isupper()


def _around(line: str, at: int, width: int = 40) -> str:
    """The part of ``line`` around column ``at``, where two lines start to differ."""
    begin, end = max(0, at - width), at + width
    return ("..." if begin else "") + line[begin:end] + ("..." if end < len(line) else "")


def files(app: spec.App, context: Context) -> dict[str, str]:
    """``docker/<service>/Dockerfile`` and its ignore file per service built from source. Images do not
    depend on the environment: every environment must render the same Dockerfile."""
    result: dict[str, str] = {}
    first_path: dict[str, str] = {}
    mounted = per_dockerfile(app, mounted_config_files)
    data = per_dockerfile(app, data_folders)
    source = source_url(app)
    for env in app.environments:
        for w in env.workloads:
            if w.build is None or w.build.preset == "dockerfile":  # a team's own Dockerfile stays theirs
                continue
            path = f"docker/{w.name}/Dockerfile"
            text = render_dockerfile(w, context.marker, data.get(w.name), source)
            if path in result and result[path] != text:
                raise ShipformError(w.path, "build", f"renders a different Dockerfile than {first_path[path]}"
                                    f"{differing_line(result[path], text)}", w.build.preset,
                                    "use the same build, command and health for a service in every Environment; "
                                    "vary only deployment props")
            result[path] = text
            first_path.setdefault(path, w.path)
            result[f"docker/{w.name}/Dockerfile.dockerignore"] = render_dockerignore(
                context.marker, mounted.get(w.name, []), w.build.project_ignore)
            if build_platform_stage(text):
                result[f"docker/{w.name}/.dockerfilelintrc"] = context.marker + DOCKERFILELINT_PLATFORM
    return result
