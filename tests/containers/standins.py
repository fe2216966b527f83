"""Local stand-ins for the official base images the build presets use, built offline from Debian packages.

Each stand-in is ``debootstrap --variant=minbase bookworm`` plus one Containerfile in ``standins/``, tagged
with exactly the name the generated Dockerfiles put in ``FROM``. How each differs from the official image
is documented in README.md beside this file.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import ssl
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from containers.rig import Rig

HERE = Path(__file__).resolve().parent
RECIPES = HERE / "standins"
BASE_IMAGE = "localhost/shipform-standin/debian:bookworm-minbase"
RECIPE_LABEL = "io.shipform.standin.recipe"
MIRROR = "http://deb.debian.org/debian"

# Official repository name -> Containerfile; only bookworm tags can be stood in for by bookworm packages.
CONTAINERFILES = {"python": "python.Containerfile", "node": "node.Containerfile", "golang": "go.Containerfile"}
NO_STANDIN_NEEDED = {"scratch"}
# Distroless images have no version tags and are pinned by digest: their stand-in is built under this tag, and a
# test reads its digest back to pin it in the Dockerfile it renders.
DISTROLESS_TAG = "shipform-standin"
DISTROLESS = {"gcr.io/distroless/nodejs22-debian12": "distroless-node.Containerfile"}

# The sources the official Debian-based images ship (deb822), instead of debootstrap's one-line sources.list.
DEBIAN_SOURCES = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

# Host configuration that makes pip and npm inside a build reach their registries the way the host does.
HOST_CONFIG_FILES = {
    "/etc/pip.conf": "etc/pip.conf",
    "~/.config/pip/pip.conf": "root/.config/pip/pip.conf",
    "~/.pip/pip.conf": "root/.pip/pip.conf",
    "/etc/npmrc": "etc/npmrc",
    "/usr/etc/npmrc": "usr/local/etc/npmrc",
    "~/.npmrc": "root/.npmrc",
}
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")


@dataclass
class StandIn:
    image: str  # exactly as written after FROM, e.g. python:3.12.8-slim-bookworm
    containerfile: str | None  # None: no stand-in recipe for this image
    seconds: float = 0.0
    state: str = "not built"  # "cached", "built", or why it could not be built

    @property
    def reference(self) -> str:
        """The fully qualified name buildah and podman resolve a Docker Hub short name to (a tagged base pinned
        by the lock stands in by its tag: see README.md)."""
        image = tag_of(self.image)
        return f"docker.io/library/{image}" if "/" not in image.split(":")[0] else image


PINNED_TAG = re.compile(r"(\S+:[A-Za-z0-9_][A-Za-z0-9_.-]*)@sha256:[0-9a-f]{64}")
"""A tagged image pinned by digest (``name:tag@sha256:...``), as the lock file's bases put it in FROM."""


def tag_of(image: str) -> str:
    """``name:tag`` of a tagged image pinned by digest; any other image as it is."""
    return PINNED_TAG.sub(r"\1", image)


def from_images(dockerfile: Path) -> list[str]:
    """The external images a Dockerfile builds FROM (stage names and scratch left out)."""
    stages: set[str] = set()
    images: list[str] = []
    for match in re.finditer(r"^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", dockerfile.read_text(), re.I | re.M):
        image, stage = match.group(1), match.group(2)
        if image not in stages and image not in NO_STANDIN_NEEDED and image not in images:
            images.append(image)
        if stage:
            stages.add(stage)
    return images


def standin_for(image: str) -> StandIn:
    repository, _, tag = tag_of(image).partition(":")
    if repository in DISTROLESS and tag == DISTROLESS_TAG:
        return StandIn(image, DISTROLESS[repository])
    recipe = CONTAINERFILES.get(repository)
    if recipe is None or "bookworm" not in tag.split("-") or "@" in tag_of(image):
        return StandIn(image, None, state=f"no stand-in recipe for {image} (only bookworm python/node/golang tags)")
    return StandIn(image, recipe)


def ensure_standins(rig: Rig, images: list[str]) -> dict[str, StandIn]:
    """Build every stand-in that is missing or whose recipe changed; reuse the cached ones."""
    standins = {image: standin_for(image) for image in images}
    wanted = [s for s in standins.values() if s.containerfile]
    if not wanted:
        return standins
    with tempfile.TemporaryDirectory(prefix="shipform-standin-") as tmp:
        context = build_context(Path(tmp))
        recipe = recipe_hash(context)
        for standin in wanted:
            if rig.image_label(standin.reference, RECIPE_LABEL) == recipe:
                standin.state = "cached"
                continue
            started = time.monotonic()
            ensure_base_image(rig)
            rig.run("buildah", "bud", "--isolation", "chroot", "--pull-never", "--layers", "--format", "docker",
                    "--build-arg", f"BASE={BASE_IMAGE}", "--label", f"{RECIPE_LABEL}={recipe}",
                    "-f", context / standin.containerfile, "-t", standin.reference, context)
            standin.seconds = time.monotonic() - started
            standin.state = "built"
    return standins


def ensure_base_image(rig: Rig) -> None:
    """Import the debootstrap tarball as the stand-ins' base; debootstrap first if the tarball is gone."""
    if rig.image_exists(BASE_IMAGE):
        return
    tarball = rig.cache / "debian-bookworm-minbase.tar"
    if not tarball.exists():
        debootstrap(rig, tarball)
    rig.podman("import", "--change", 'CMD ["bash"]', tarball, BASE_IMAGE)


def debootstrap(rig: Rig, tarball: Path) -> None:
    # A run that was killed mid-debootstrap leaves its folder behind; the session lock makes this one the only run.
    for stale in rig.cache.glob("shipform-debootstrap-*"):
        shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="shipform-debootstrap-", dir=rig.cache) as tmp:
        root = Path(tmp) / "rootfs"
        rig.run("debootstrap", "--variant=minbase", "bookworm", root, MIRROR)
        trim_rootfs(root)
        partial = tarball.with_suffix(".tar.partial")
        rig.run("tar", "--numeric-owner", "-C", root, "-cf", partial, ".")
        partial.rename(tarball)  # only a complete tarball is ever cached


def trim_rootfs(root: Path) -> None:
    """Leave out what the official images leave out: the host's name and resolver, apt caches and lists."""
    for name in ("etc/hostname", "etc/resolv.conf", "etc/apt/sources.list"):
        (root / name).unlink(missing_ok=True)
    for folder in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (root / folder).glob("*"):
            if entry.is_file():
                entry.unlink()
    (root / "etc/apt/sources.list.d/debian.sources").write_text(DEBIAN_SOURCES)


def build_context(context: Path) -> Path:
    """The recipes plus host/: the host's CA bundle, its extra CAs and its pip/npm configuration."""
    for recipe in RECIPES.iterdir():
        shutil.copy(recipe, context / recipe.name)
    host = context / "host"
    (host / "ca").mkdir(parents=True)
    shutil.copy(RECIPES / "setup.sh", host / "setup.sh")
    shutil.copy(host_ca_bundle(), host / "ca-certificates.crt")
    for cert in sorted(HOST_CA_DIR.rglob("*.crt")) if HOST_CA_DIR.is_dir() else []:
        shutil.copy(cert, host / "ca" / cert.name)
    for source, target in HOST_CONFIG_FILES.items():
        path = Path(source).expanduser()
        if path.is_file():
            (host / "config" / target).parent.mkdir(parents=True, exist_ok=True)
            (host / "config" / target).write_text(portable_config(path.read_text()))
    (host / "config").mkdir(exist_ok=True)
    return context


def host_ca_bundle() -> Path:
    return Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")


def portable_config(text: str) -> str:
    """Drop settings that name a path on the host (local wheel folders, file:// indexes): not in the image.

    The CA bundle is the exception: setup.sh puts the host's bundle at the same path inside the image.
    """
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    kept = []
    for line in text.splitlines():
        value = line.split("=", 1)[1] if "=" in line else line
        local = [t for t in value.split() if (t.startswith("/") or t.startswith("file:")) and t != bundle]
        if not local:
            kept.append(line)
    return "\n".join(kept) + "\n"


def recipe_hash(context: Path) -> str:
    """Changes when a recipe or the host's CA/config does, so the cached stand-ins are rebuilt."""
    digest = hashlib.sha256(BASE_IMAGE.encode())
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(context)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
