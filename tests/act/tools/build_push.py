"""docker/build-push-action's stand-in: buildah builds the Dockerfile (base images from the container rig's
storage, offline: tests/containers' stand-in base images), then, as asked, pushes the image to every tag
(``push: true`` or ``outputs: type=registry``) and/or exports it (``outputs: type=oci,dest=...`` or
``type=docker,dest=...``). Outputs ``digest`` (the pushed or exported manifest's), ``imageid`` (the config's) and
``metadata``, as the real action does.

Differences from buildx/BuildKit (also in README.md): one platform (the host's); ``provenance`` and ``sbom`` are
not produced, so the digest is the image manifest's, not an index's; ``cache-from``/``cache-to`` are ignored
(buildah's --layers cache in the rig's storage plays their part); an empty ``context`` means the workspace, not
BuildKit's Git context; ``SOURCE_DATE_EPOCH`` sets the image's timestamps (``--timestamp``) but, as with BuildKit
without ``rewrite-timestamp``, the layers of two builds of the same source need not be byte-identical.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

from act.oci import ImageRef, Registry
from act.tools.common import fail, flag, lines, output, run, say, value


def build_args(local: str, secrets_dir: Path) -> list[str]:
    context = value("context") or "."
    dockerfile = value("file") or f"{context}/Dockerfile"
    # Bases missing from the rig's storage are pulled: only the loopback registry answers (a test's Docker Hub
    # mirror, App(base_registry=...)); the rig's stand-ins are found locally, as before.
    args = ["buildah", "bud", "--isolation", "chroot", "--layers", "--format", "docker",
            "-f", dockerfile, "-t", local]
    # BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile; buildah 1.28 needs it named.
    ignorefile = Path(dockerfile).with_name(Path(dockerfile).name + ".dockerignore")
    if ignorefile.is_file():
        args += ["--ignorefile", str(ignorefile)]
    for label in value("labels").splitlines():
        if label.strip():
            args += ["--label", label.strip()]
    for arg in value("build-args").splitlines():
        if arg.strip():
            args += ["--build-arg", arg.strip()]
    if value("target"):
        args += ["--target", value("target")]
    if flag("no-cache"):
        args.append("--no-cache")
    args += secret_args(secrets_dir)
    if os.environ.get("SOURCE_DATE_EPOCH"):
        args += ["--timestamp", os.environ["SOURCE_DATE_EPOCH"]]
    return [*args, context]


def secret_args(secrets_dir: Path) -> list[str]:
    args = []
    for entry in value("secrets").splitlines():
        if "=" in entry:
            name, _, secret = entry.partition("=")
            path = secrets_dir / name.strip()
            path.write_text(secret)
            args += ["--secret", f"id={name.strip()},src={path}"]
    for entry in lines("secret-files"):
        name, _, path_text = entry.partition("=")
        args += ["--secret", f"id={name},src={path_text}"]
    for entry in lines("secret-envs"):
        name, _, variable = entry.partition("=")
        path = secrets_dir / name
        path.write_text(os.environ.get(variable, ""))
        args += ["--secret", f"id={name},src={path}"]
    return args


def exporters() -> list[dict[str, str]]:
    """``outputs`` entries as key=value dicts (``type=oci,dest=/tmp/image.tar``)."""
    found = []
    for entry in value("outputs").splitlines():
        if entry.strip():
            found.append(dict(part.split("=", 1) for part in entry.strip().split(",") if "=" in part))
    return found


def push(local: str, tags: list[str]) -> str:
    """Push the image to the first tag, then point the other tags at the same manifest; its digest."""
    if not tags:
        fail("push requested but no tags given")
    first = ImageRef.parse(tags[0])
    with tempfile.NamedTemporaryFile("r") as digestfile:
        run(["buildah", "push", "--digestfile", digestfile.name, local, f"docker://{first}"])
        digest = Path(digestfile.name).read_text().strip()
    for tag in tags[1:]:
        ref = ImageRef.parse(tag)
        registry = Registry(ref.host)
        found = Registry(first.host).manifest(first.repository, digest)
        assert found is not None
        if ref.name != first.name:
            run(["skopeo", "copy", "--preserve-digests", f"docker://{first.name}@{digest}", f"docker://{ref}"])
        else:
            registry.push_manifest(ref.repository, ref.reference, found[0], found[1])
        say(f"pushed {ref}")
    return digest


def export(local: str, exporter: dict[str, str], tags: list[str]) -> str:
    kind, dest = exporter.get("type", ""), exporter.get("dest", "")
    if kind not in ("oci", "docker") or not dest:
        fail(f"outputs: {exporter} is not supported by the stand-in (type=oci|docker with dest=, or push: true)")
    name = ImageRef.parse(tags[0]).tag if tags and kind == "oci" else (tags[0] if tags else "")
    # buildx's oci exporter writes a tarball, or with tar=false an OCI layout folder at dest.
    folder = kind == "oci" and exporter.get("tar", "true") == "false"
    transport = ("oci" if folder else "oci-archive") if kind == "oci" else "docker-archive"
    run(["buildah", "push", local, f"{transport}:{dest}" + (f":{name}" if name else "")])
    if kind == "docker":
        return ""
    if folder:
        return str(json.loads((Path(dest) / "index.json").read_text())["manifests"][0]["digest"])
    with tempfile.TemporaryDirectory() as layout:
        run(["tar", "-xf", dest, "-C", layout, "index.json"])
        return str(json.loads((Path(layout) / "index.json").read_text())["manifests"][0]["digest"])


def main() -> int:
    if flag("load"):
        fail("load: there is no Docker engine on this runner (the stand-in builds with buildah); export with "
             "outputs: type=oci,dest=... instead")
    for ignored in ("provenance", "sbom", "cache-from", "cache-to", "platforms"):
        if value(ignored):
            say(f"{ignored}: {value(ignored)!r} is not applied by the stand-in (see tests/act/README.md)")
    tags = lines("tags")
    local = f"localhost/act-standin/build:{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory() as secrets_dir:
        run(build_args(local, Path(secrets_dir)))
    # The image stays in storage, as a runner's builder keeps what it built. It must: jobs running at once here
    # share one storage, two builds of the same inputs commit one image under two names, and `buildah rmi` of
    # either name deletes that image under the other job ("image not known").
    image_id = json.loads(run(["buildah", "inspect", "--type", "image", local], capture=True).stdout)["FromImageID"]
    digest = ""
    for exporter in exporters():
        if exporter.get("type") == "registry" or exporter.get("push") == "true":
            digest = push(local, tags)
        else:
            digest = export(local, exporter, tags) or digest
    if flag("push") and not any(e.get("type") == "registry" for e in exporters()):
        digest = push(local, tags)
    output("imageid", f"sha256:{image_id}")
    output("digest", digest)
    output("metadata", json.dumps({"containerimage.digest": digest, "containerimage.config.digest":
                                   f"sha256:{image_id}", "image.name": ",".join(tags)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
