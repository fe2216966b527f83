"""A Node service on the distroless runtime (``Build.node(..., runtime="distroless", runtime_digest=...)``): the
generated Dockerfile, pinned by the digest of the stand-in for the distroless image, builds with buildah; the image
runs as the same numeric user under the same hardening as everywhere, gets healthy through its probe program,
runs tini as PID 1, has no shell, and stops on SIGTERM."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_sources
from containers.one_service import assert_healthy, assert_stops_on_sigterm, build_service, running
from containers.standins import DISTROLESS_TAG, ensure_standins

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
    dockerfile, tag = build_service(rig, tmp_path, f"""
        from shipform import *
        app = App("mini", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        WebService(dev, "web", build=Build.node("node", ["node", "server.js"], runtime="distroless",
                   runtime_digest="{digest}"), port=3000, health=Health.http("/healthz"))
    """, "web", tmp_path / "node")
    assert f"FROM gcr.io/distroless/nodejs22-debian12@{digest}\n" in dockerfile
    with running(rig, tag, "shipform-distroless-web") as name:
        assert_healthy(rig, name, 30)
        rows = rig.podman("top", name, "pid", "args").stdout.splitlines()[1:]
        assert next(r.split(None, 1)[1] for r in rows if r.split()[0] == "1").startswith("/usr/local/bin/tini")
        assert rig.podman("exec", name, "/bin/sh", "-c", "true", check=False).returncode != 0  # no shell
        assert_stops_on_sigterm(rig, name)
