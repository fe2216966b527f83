"""A Node service on the distroless runtime (``Build.node(..., runtime="distroless", runtime_digest=...)``): the
generated Dockerfile, pinned by the digest of the stand-in for the distroless image, builds with buildah; the image
runs as the same numeric user under the same hardening as everywhere, gets healthy through its probe program,
runs tini as PID 1, has no shell, and stops on SIGTERM."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from conftest import exec_app, write_sources
from containers.building import assert_built, bud
from containers.standins import DISTROLESS_TAG, ensure_standins
from shipform.synth.pipeline import render

pytestmark = pytest.mark.containers

DISTROLESS_NODE = f"gcr.io/distroless/nodejs22-debian12:{DISTROLESS_TAG}"
SERVER = """const http = require("http");
const server = http.createServer((req, res) => { res.writeHead(req.url === "/healthz" ? 200 : 404); res.end(); });
server.listen(3000);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
"""


def test_a_node_service_on_the_distroless_runtime(rig, standins, tmp_path: Path):
    ensure_standins(rig, [DISTROLESS_NODE])
    digest = rig.podman("images", "--digests", "--format", "{{.Digest}}", DISTROLESS_NODE).stdout.split()[0]
    write_sources(tmp_path)
    (tmp_path / "node" / "server.js").write_text(SERVER)
    source = textwrap.dedent(f"""
        from shipform import *
        app = App("mini", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        WebService(dev, "web", build=Build.node("node", ["node", "server.js"], runtime="distroless",
                   runtime_digest="{digest}"), port=3000, health=Health.http("/healthz"))
    """)
    files = render(exec_app(source, tmp_path), tmp_path / "out")
    folder = tmp_path / "out" / "docker" / "web"
    folder.mkdir(parents=True)
    for name in ("Dockerfile", "Dockerfile.dockerignore"):
        (folder / name).write_text(files[f"docker/web/{name}"])
    assert f"FROM gcr.io/distroless/nodejs22-debian12@{digest}\n" in files["docker/web/Dockerfile"]
    tag, name = "localhost/shipform-distroless-web:test", "shipform-distroless-web"
    assert_built(bud(rig, folder / "Dockerfile", tmp_path / "node", tag), folder / "Dockerfile")
    rig.podman("rm", "--force", name, check=False)
    rig.podman("run", "--detach", "--name", name, "--network=none", "--read-only", "--read-only-tmpfs=false",
               "--tmpfs=/tmp:size=64m,mode=1777", "--cap-drop=ALL", "--security-opt=no-new-privileges:true",
               "--user=10001:10001", tag)
    try:
        healthy = False
        for _ in range(30):
            if rig.podman("exec", name, "/usr/local/bin/healthcheck", check=False).returncode == 0:
                healthy = True
                break
            time.sleep(1)
        assert healthy, rig.podman("logs", name, check=False).stderr
        rows = rig.podman("top", name, "pid", "args").stdout.splitlines()[1:]
        assert next(r.split(None, 1)[1] for r in rows if r.split()[0] == "1").startswith("/usr/local/bin/tini")
        assert rig.podman("exec", name, "/bin/sh", "-c", "true", check=False).returncode != 0  # no shell
        rig.podman("kill", "--signal", "TERM", name)
        rig.podman("wait", name, timeout=30)
        assert rig.inspect_container(name)["State"]["ExitCode"] == 0
    finally:
        rig.podman("rm", "--force", name, check=False)
        rig.podman("rmi", "--force", tag, check=False)
