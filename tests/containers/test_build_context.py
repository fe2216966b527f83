"""Secrets planted in a build context, at every depth, never reach the image: the context is built with buildah
from the generated Dockerfile and its ignore file, and every file of the app folder of the image is listed from
inside the image. The project's own .dockerignore is kept too. For the presets whose runtime image receives the
context (Python copies it to /app, Node copies its build folder); Go's runtime image holds only the binary."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_sources
from containers.one_service import build_service

pytestmark = pytest.mark.containers

PLANTED = [".env", "sub/.env", ".env.local", "sub/key.pem", "deep/er/tls.key", "config/secrets/token", ".npmrc",
           "sub/.npmrc", ".pypirc", "pip.conf", ".netrc", ".aws/credentials", ".ssh/id_ed25519", "id_rsa",
           "sub/cert.p12", "keystore.pfx", "infra/prod.tfstate", ".git/config", "private/notes.txt"]
LISTING = {
    "python": ["python3", "-c", "import os\nfor r, _, fs in os.walk('/app'):\n"
                                "    [print(os.path.join(r, f)) for f in fs]"],
    "node": ["node", "-e", "const f = require('fs'), p = require('path');"
             "const walk = (d) => f.readdirSync(d, {withFileTypes: true}).forEach((e) => e.isDirectory() ? "
             "walk(p.join(d, e.name)) : console.log(p.join(d, e.name))); walk('/app');"],
}
APPS = {
    "python": 'WebService(dev, "api", build=Build.python("py", ["python", "-m", "app"]), port=8000)',
    "node": 'WebService(dev, "web", build=Build.node("node", ["node", "server.js"]), port=3000)',
}


@pytest.mark.parametrize("preset", ["python", "node"])
def test_no_planted_secret_reaches_the_image(rig, standins, tmp_path: Path, preset: str):
    write_sources(tmp_path)
    context = tmp_path / ("py" if preset == "python" else "node")
    for rel in PLANTED:
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        (context / rel).write_text("planted secret\n")
    (context / "app.txt").write_text("the app itself\n")
    (context / ".dockerignore").write_text("# the project's own rules\nprivate/\n")
    service = "api" if preset == "python" else "web"
    _, tag = build_service(rig, tmp_path, f"""
        from shipform import *
        app = App("ctx", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        {APPS[preset]}
    """, service, context)
    try:
        listing = rig.podman("run", "--rm", "--network=none", "--entrypoint", LISTING[preset][0], tag,
                             *LISTING[preset][1:]).stdout.split()
    finally:
        rig.podman("rmi", "--force", tag, check=False)
    assert "/app/app.txt" in listing  # the listing sees the app's files
    leaked = [path for path in listing if any(path.endswith("/" + rel) for rel in PLANTED)]
    assert leaked == []
