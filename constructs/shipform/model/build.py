"""How a service's image is built from source: language presets that become multi-stage Dockerfiles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base_registry import mirrored
from shipform.model.native_packages import python_packages
from shipform.model.package_managers import NODE_LAYOUTS, PYTHON_LAYOUTS, node_installer, node_runtime_files
from shipform.values import checks
from shipform.values.nearest import near_folder
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object
from shipform.write import reading

PresetName = Literal["python", "node", "go", "dockerfile"]
Runtime = Literal["debian", "distroless"]
# Distroless images carry no version tag of their own: the major version names the image, and of the tags it is
# published under (latest, nonroot, debug, ...) 'nonroot' is the one whose default user is not root (the Dockerfile
# sets its own numeric USER anyway). A digest pins it: runtime_digest=, or the lock file's bases section.
DISTROLESS_NODE = "gcr.io/distroless/nodejs{major}-debian12"
DISTROLESS_TAG = "nonroot"
UV_IMAGE = "ghcr.io/astral-sh/uv:0.5.11"
"""Where the Python preset's build stage copies uv from, for projects with uv.lock."""
# A Debian package name, optionally pinned to a version ('gcc', 'libmariadb3=1:10.11.6-0+deb12u1').
_DEBIAN_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?")
_GO_PACKAGE = re.compile(r"\.|\./[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*|[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*")



@dataclass(frozen=True)
class Preset:
    """What one language needs: pinned base images and the files that mark its dependency layout."""

    name: PresetName
    builder_image: str
    runtime_image: str
    default_version: str
    layouts: tuple[tuple[str, ...], ...]
    """Each entry lists the files that together identify one supported dependency layout."""
    default_command: tuple[str, ...] = ()


PRESETS: dict[str, Preset] = {
    "python": Preset(
        "python", "python:{version}-slim-bookworm", "python:{version}-slim-bookworm", "3.12.8",
        layouts=PYTHON_LAYOUTS,
    ),
    "node": Preset(
        "node", "node:{version}-bookworm-slim", "node:{version}-bookworm-slim", "22.12.0",
        layouts=NODE_LAYOUTS,
    ),
    "go": Preset(
        "go", "golang:{version}-bookworm", "scratch", "1.23.4",
        layouts=(("go.mod",),), default_command=("/app/server",),
    ),
    # The team's own Dockerfile: nothing to pin or detect; its CMD is the command.
    "dockerfile": Preset("dockerfile", "", "", "", layouts=()),
}



@value_object
@dataclass(frozen=True)
class Build:
    """Build an image from the source folder ``context`` (relative to the app's folder) with a preset.

    Use :meth:`python`, :meth:`node` or :meth:`go`. The runtime image runs as a non-root numeric
    UID under tini, with a generated health probe and no shell tools it does not need.

    :param preset: 'python', 'node', 'go' or 'dockerfile': set by the constructor used (:meth:`dockerfile` keeps a
        team's own Dockerfile).
    :param context: the source folder, relative to the app's folder; the image's build context.
    :param command: Default: () (the preset's: ``/app/server`` for Go, none for Python and Node). The image's
        ``CMD`` (exec form); a workload's own ``command`` wins over it.
    """

    preset: PresetName
    context: str
    command: tuple[str, ...] = ()
    version: str = ""
    """Default: the preset's pinned language version (python 3.12.8, node 22.12.0, go 1.23.4)."""
    base_digest: str | None = None
    """Default: None. 'sha256:...' pins the base images by digest as well as by tag."""
    build_command: tuple[str, ...] = ()
    """Default: none. A build step run after installing dependencies (e.g. ['npm', 'run', 'build'])."""
    package: str = "."
    """Default: '.'. The Go package to build (e.g. './cmd/server')."""
    build_packages: tuple[str, ...] = ()
    """Default: none. Debian packages the build stage installs first (compilers, headers: ['gcc',
    'libmariadb-dev']), each 'name' or 'name=version'."""
    runtime_packages: tuple[str, ...] = ()
    """Default: none. Debian packages the runtime image installs (shared libraries: ['libmariadb3']); not for
    Go, whose runtime image is empty."""
    runtime: Runtime = "debian"
    """Default: 'debian' (the language's slim Debian image, stripped of package managers and setuid files).
    'distroless' (node only): Google's distroless image (``gcr.io/distroless/nodejs<major>-debian12:nonroot``), with
    no shell at all, pinned by ``runtime_digest`` or the lock file's ``bases`` section."""
    runtime_digest: str | None = None
    """Default: None (the lock file's digest of the distroless image, else its tag alone). With runtime='distroless':
    'sha256:...' of the distroless image, which wins over the lock file."""
    dockerfile_path: str = ""
    """The team's own Dockerfile, relative to the app's folder (preset 'dockerfile' only)."""
    args: tuple[tuple[str, str], ...] = ()
    """Default: none. Build arguments of the build stage (its dependency install and ``build_command``), as
    ``ARG NAME="value"`` lines; never credentials (they stay in the image's history)."""
    prop_example: ClassVar[str] = "Build.python('services/api', ['gunicorn', 'app:app'])"

    @classmethod
    def python(cls, context: str, command: list[str] | None = None, *, version: str = "",
               base_digest: str | None = None, build_packages: list[str] | None = None,
               runtime_packages: list[str] | None = None, args: dict[str, str] | None = None,
               runtime: Runtime = "debian") -> Build:
        """Python from requirements.txt, or a uv or poetry lockfile when the folder has one. (runtime='distroless'
        is refused, saying why: distroless Python is Debian's interpreter, which the virtualenv does not fit.)"""
        return cls("python", context, _args(command), version, base_digest, build_packages=_args(build_packages),
                   runtime_packages=_args(runtime_packages), args=_pairs(args), runtime=runtime)

    @classmethod
    def node(cls, context: str, command: list[str] | None = None, *, version: str = "",
             base_digest: str | None = None, build_command: list[str] | None = None,
             build_packages: list[str] | None = None, runtime_packages: list[str] | None = None,
             args: dict[str, str] | None = None, runtime: Runtime = "debian",
             runtime_digest: str | None = None) -> Build:
        """Node.js with `npm ci` from package-lock.json; dev dependencies are pruned from the image.
        ``runtime='distroless'`` runs it on the distroless Node image of the same major version (no shell)."""
        return cls("node", context, _args(command), version, base_digest, _args(build_command),
                   build_packages=_args(build_packages), runtime_packages=_args(runtime_packages), args=_pairs(args),
                   runtime=runtime, runtime_digest=runtime_digest)

    @classmethod
    def go(cls, context: str, command: list[str] | None = None, *, version: str = "",
           base_digest: str | None = None, package: str = ".", build_packages: list[str] | None = None,
           runtime_packages: list[str] | None = None, args: dict[str, str] | None = None,
           runtime: Runtime = "debian") -> Build:
        """Go as a static binary (CGO off) at /app/server, on an empty (scratch) runtime image (so
        ``runtime_packages`` and ``runtime='distroless'`` are refused, saying why)."""
        return cls("go", context, _args(command), version, base_digest, package=package,
                   build_packages=_args(build_packages), runtime_packages=_args(runtime_packages), args=_pairs(args),
                   runtime=runtime)

    @classmethod
    def dockerfile(cls, dockerfile: str, context: str | None = None) -> Build:
        """Keep a team's own Dockerfile (relative to the app's folder; the context defaults to its folder). It
        is built, pushed, scanned and linted like a generated one, and run by Kubernetes and compose; its final
        ``USER`` must be the workload's numeric ``run_as_user:run_as_group``. Nothing is generated for it."""
        folder = str(Path(dockerfile).parent) if isinstance(dockerfile, str) else ""
        return cls("dockerfile", context if context is not None else folder, dockerfile_path=dockerfile)

    @property
    def preset_spec(self) -> Preset:
        return PRESETS[self.preset]

    @property
    def language_version(self) -> str:
        return self.version or self.preset_spec.default_version

    def base_images(self, mirror: str | None = None) -> tuple[str, str]:
        """(builder, runtime) image references, pinned by tag and, when given, ``base_digest`` (a distroless
        runtime by ``runtime_digest``); Docker Hub's images pulled through ``mirror`` (App(base_registry=))."""
        def pin(template: str, digest: str | None) -> str:
            if template == "scratch":
                return template
            ref = mirrored(template.format(version=self.language_version), mirror)
            return f"{ref}@{digest}" if digest else ref
        builder = pin(self.preset_spec.builder_image, self.base_digest)
        if self.runtime == "distroless":
            # runtime_digest pins the image by digest alone: which tag it was read from, the Build does not say.
            name = DISTROLESS_NODE.format(major=self.language_version.split(".")[0])
            return builder, f"{name}@{self.runtime_digest}" if self.runtime_digest else f"{name}:{DISTROLESS_TAG}"
        return builder, pin(self.preset_spec.runtime_image, self.base_digest)

    def validate(self, path: str) -> None:
        check_fields(path, "build", self)
        if self.preset == "dockerfile":
            file = self.dockerfile_path
            if not isinstance(file, str) or not file or Path(file).is_absolute():
                raise ShipformError(path, "build.dockerfile", "must be a file relative to the app file", file,
                                    "pass e.g. Build.dockerfile('services/legacy/Dockerfile')")
        if not isinstance(self.context, str) or not self.context or Path(self.context).is_absolute():
            raise ShipformError(path, "build.context", "must be a folder relative to the app file", self.context,
                                "pass e.g. 'services/api'")
        for prop, value in (("build.context", self.context), ("build.dockerfile", self.dockerfile_path)):
            checks.workflow_text(path, prop, value, _RENAME)
        if self.preset == "dockerfile":
            return
        if not checks.matches(r"[0-9]+\.[0-9]+\.[0-9]+", self.language_version):  # str.isdigit() takes '³' too
            raise ShipformError(path, "build.version", "must be an exact version 'X.Y.Z'", self.version,
                                f"pass e.g. version='{self.preset_spec.default_version}'")
        checks.digest(path, "build.base_digest", self.base_digest)
        self._check_runtime(path)
        if not checks.matches(_GO_PACKAGE, self.package):
            raise ShipformError(path, "build.package", "must be a Go package path like './cmd/server'", self.package,
                                "pass the package folder relative to the build context, e.g. './cmd/server'")
        if self.command:
            checks.command(path, "build.command", list(self.command))
        for field in ("build_packages", "runtime_packages"):
            for i, name in enumerate(getattr(self, field)):
                if not checks.matches(_DEBIAN_PACKAGE, name):
                    raise ShipformError(path, f"build.{field}[{i}]", "must be a Debian package name, optionally "
                                        "'=version'", name, "write e.g. 'libpq5' or 'libpq5=15.10-0+deb12u1'")
        if self.runtime_packages and self.preset == "go":
            raise ShipformError(path, "build.runtime_packages", "cannot be installed: the go preset's runtime image "
                                "is empty (scratch), with no package manager", list(self.runtime_packages),
                                "build a static binary (CGO off, the default) and drop runtime_packages")
        for name, value in self.args:
            checks.env_name(path, "build.args", name)
            if checks.SECRET_NAME.search(name) or checks.secret_shape(value):
                raise ShipformError(path, f"build.args.{name}", "looks like a credential; build arguments stay "
                                    "in the image's history", "<redacted>", "pass credentials at run time with "
                                    "secrets=, never to the build")
            if not value.isprintable() or '"' in value or "\\" in value:
                raise ShipformError(path, f"build.args.{name}", "must be one line without '\"' or '\\'", value,
                                    "pass a plain value")
        if self.build_command:
            checks.command(path, "build.build_command", list(self.build_command))
            if any(not arg.isprintable() for arg in self.build_command):
                raise ShipformError(path, "build.build_command", "must not contain newlines or other control "
                                    "characters (it becomes one Dockerfile RUN line)", list(self.build_command),
                                    "pass one command as a list of plain arguments")

    def to_spec(self, path: str, root: Path, command: tuple[str, ...], title: str, version: str,
                mirror: str | None = None) -> spec.ImageBuild:
        if self.preset == "dockerfile":
            return spec.ImageBuild(preset="dockerfile", context=(root / self.context).resolve(), layout="",
                                   builder_image="", runtime_image="", command=command, build_command=(), package="",
                                   title=title, version=version, dockerfile=(root / self.dockerfile_path).resolve())
        builder, runtime = self.base_images(mirror)
        layout_files = self.detect_layout(path, root)
        layout = layout_files[0]
        installer = node_installer(path, root / self.context, layout) if self.preset == "node" else ""
        build_packages, runtime_packages = self.build_packages, self.runtime_packages
        native: tuple[str, ...] = ()
        if self.preset == "python":
            found, build, run = python_packages(path, root / self.context, layout)
            build_packages += tuple(p for p in build if p not in build_packages)
            runtime_packages += tuple(p for p in run if p not in runtime_packages)
            if build_packages != self.build_packages or runtime_packages != self.runtime_packages:
                native = found
        return spec.ImageBuild(
            preset=self.preset, context=(root / self.context).resolve(),
            layout=layout, builder_image=builder, runtime_image=runtime,
            command=command, build_command=self.build_command, package=self.package, title=title, version=version,
            build_packages=build_packages, runtime_packages=runtime_packages, args=self.args,
            runtime=self.runtime, native=native,
            installer=installer, dependency_files=dependency_files(self.preset, layout_files, installer),
            runtime_files=node_runtime_files(root / self.context) if self.preset == "node" else (),
            project_ignore=_ignore_rules(path, root / self.context / ".dockerignore"),
            uv_image=mirrored(UV_IMAGE, mirror) if layout == "uv.lock" else "")

    def _check_runtime(self, path: str) -> None:
        checks.digest(path, "build.runtime_digest", self.runtime_digest)
        if self.runtime == "debian":
            if self.runtime_digest is not None:
                raise ShipformError(path, "build.runtime_digest", "only pins a distroless runtime",
                                    self.runtime_digest, "use base_digest= for the Debian images, or runtime="
                                    "'distroless'")
            return
        if self.preset != "node":
            why = ("its runtime image is already empty (scratch)" if self.preset == "go" else
                   "distroless Python is Debian's interpreter, which a virtualenv built in the official image does "
                   "not fit")
            raise ShipformError(path, "build.runtime", f"'distroless' is for the node preset: {why}",
                                self.runtime, "drop runtime= (the Debian runtime has no package manager and no "
                                "setuid files either)")
        if self.runtime_packages:
            raise ShipformError(path, "build.runtime_packages", "cannot be installed on a distroless runtime (no "
                                "package manager, no shell)", list(self.runtime_packages),
                                "use the Debian runtime, or drop runtime_packages")

    def _check_dockerfile(self, path: str, root: Path) -> str:
        file = (root / self.dockerfile_path).resolve()
        if not file.is_relative_to(root.resolve()) or not file.is_file():
            raise ShipformError(path, "build.dockerfile", "is not a file inside the app's folder", self.dockerfile_path,
                                "pass the path of the Dockerfile, relative to the app file")
        checks.workflow_text(path, "build.dockerfile", file.relative_to(root.resolve()).as_posix(), _RENAME)
        return file.name

    def team_user(self, root: Path) -> str | None:
        """The final USER of the team's Dockerfile (read at synth time)."""
        return final_user(reading.read_text(root / self.dockerfile_path, errors="replace"))

    def detect_layout(self, path: str, root: Path) -> tuple[str, ...]:
        """The dependency layout found in the context under the app folder ``root``; read at synth time,
        never in constructors."""
        source = root / self.context
        resolved, resolved_root = source.resolve(), root.resolve()
        if not resolved.is_relative_to(resolved_root):
            raise ShipformError(path, "build.context", "leads outside the app's folder", self.context,
                                "keep build contexts inside the folder of the app file (or pass App(root=...))")
        # The workflows name the folder it resolves to (through symlinks).
        checks.workflow_text(path, "build.context", resolved.relative_to(resolved_root).as_posix(), _RENAME)
        if not source.is_dir():
            raise ShipformError(path, "build.context", "is not a folder", str(source), near_folder(root, self.context)
                                + "create the folder or fix the path (relative to the app file)")
        if self.preset == "dockerfile":
            return (self._check_dockerfile(path, root),)
        special = [f for layout in self.preset_spec.layouts for f in layout if reading.is_special(source / f)]
        if special:
            raise ShipformError(path, "build", f"{special[0]} in the build context is {reading.SPECIAL}",
                                str(source / special[0]), "make it a regular file (reading a FIFO would never end)")
        for layout in self.preset_spec.layouts:
            if all((source / f).is_file() for f in layout):
                if self.preset == "node":
                    node_installer(path, source, layout[0])
                return layout
        expected = " or ".join(" + ".join(layout) for layout in self.preset_spec.layouts)
        raise ShipformError(path, "build", f"the {self.preset} preset needs {expected} in the build context",
                            str(source), f"add {self.preset_spec.layouts[-1][0]} or pick the preset that fits")


_RENAME = "rename the folder or file (no '${{', no control characters)"


def _ignore_rules(path: str, file: Path) -> tuple[str, ...]:
    """The rules of a .dockerignore (comments and blank lines left out), or none when there is no such file."""
    if reading.is_special(file):
        raise ShipformError(path, "build.context", f".dockerignore is {reading.SPECIAL}", str(file),
                            "make it a regular file of ignore rules, or remove it")
    if not file.is_file():
        return ()
    lines = (line.strip() for line in reading.read_text(file, errors="replace").splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def final_user(dockerfile: str) -> str | None:
    """The USER the final stage of a Dockerfile runs as (the last USER after the last FROM), or None."""
    user = None
    for line in dockerfile.replace("\\\n", " ").splitlines():
        words = line.split()
        if words and words[0].upper() == "FROM":
            user = None
        elif len(words) >= 2 and words[0].upper() == "USER":
            user = words[1]
    return user


def _pairs(value: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    """A mapping as sorted pairs (so a Build is hashable); anything else stays as given for validate() to refuse."""
    if value is None:
        return ()
    return tuple(sorted(value.items())) if isinstance(value, dict) else value


def _args(value: list[str] | None) -> tuple[str, ...]:
    """Lists become tuples (so a Build is hashable); anything else stays as given for validate() to refuse."""
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list | tuple) else value


def dependency_files(preset: str, layout: tuple[str, ...], installer: str) -> tuple[str, ...]:
    """What the generated Dockerfile copies to install dependencies: the layout's files (Go's ``COPY go.*``: go.mod
    and go.sum), and yarn berry's .yarnrc.yml."""
    extra = {"go": ("go.sum",)}.get(preset, ()) + ((".yarnrc.yml",) if installer == "yarn-berry" else ())
    return tuple(sorted({*layout, *extra}))
