"""Secrets planted in a build context, at every depth, never reach the image: the context is built with buildah
from the generated Dockerfile and its ignore file, and every file of the image is listed from its exported
filesystem (under /app, where the context lands). The project's own .dockerignore is kept too. For every
preset: Python copies the context to /app, Node its build folder, Go only the binary it compiles from it."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from conftest import write_sources
from containers.one_service import build_service

pytestmark = pytest.mark.containers

PLANTED = [".env", "sub/.env", ".env.local", "sub/key.pem", "deep/er/tls.key", "config/secrets/token", ".npmrc",
           "sub/.npmrc", ".pypirc", "pip.conf", ".netrc", ".aws/credentials", ".ssh/id_ed25519", "id_rsa",
           "sub/cert.p12", "keystore.pfx", "infra/prod.tfstate", ".git/config", "private/notes.txt"]
APPS = {
    "python": 'WebService(dev, "api", build=Build.python("py", ["python", "-m", "app"]), port=8000)',
    "node": 'WebService(dev, "web", build=Build.node("node", ["node", "server.js"]), port=3000)',
    "go": 'WebService(dev, "catalog", build=Build.go("go"), port=8080)',
}
CONTEXTS = {"python": "py", "node": "node", "go": "go"}
SERVICES = {"python": "api", "node": "web", "go": "catalog"}
SHIPPED = {"python": "app/app.txt", "node": "app/app.txt", "go": "app/server"}
"""A file the listing must see, so an empty listing cannot pass."""


def image_files(rig, tag: str, scratch: Path) -> list[str]:
    """Every path in the image's filesystem (a container created, exported as a tar, listed), no shell needed."""
    name = f"shipform-listing-{tag.rsplit('/', 1)[-1].replace(':', '-')}"
    rig.podman("rm", "--force", name, check=False)
    rig.podman("create", "--name", name, tag)
    try:
        rig.podman("export", "--output", str(scratch / "image.tar"), name)
        with tarfile.open(scratch / "image.tar") as tar:
            return tar.getnames()
    finally:
        rig.podman("rm", "--force", name, check=False)


@pytest.mark.parametrize("preset", ["python", "node", "go"])
def test_no_planted_secret_reaches_the_image(rig, standins, tmp_path: Path, preset: str):
    write_sources(tmp_path)
    context = tmp_path / CONTEXTS[preset]
    (tmp_path / "go" / "main.go").write_text("package main\n\nfunc main() {}\n")
    for rel in PLANTED:
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        (context / rel).write_text("planted secret\n")
    (context / "app.txt").write_text("the app itself\n")
    (context / ".dockerignore").write_text("# the project's own rules\nprivate/\n")
    service = SERVICES[preset]
    _, tag = build_service(rig, tmp_path, f"""
        from shipform import *
        app = App("ctx", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        {APPS[preset]}
    """, service, context)
    try:
        listing = image_files(rig, tag, tmp_path)
    finally:
        rig.podman("rmi", "--force", tag, check=False)
    assert SHIPPED[preset] in listing  # the listing sees what the image is for
    # Where the context lands (the base images have config files of their own elsewhere, /etc/pip.conf and such).
    leaked = [path for path in listing if path.startswith("app/") and any(path.endswith("/" + rel) for rel in PLANTED)]
    assert leaked == []
