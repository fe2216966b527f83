"""`shipform lock` against a real registry: Debian's docker-registry (distribution v2) on a free loopback port,
filesystem storage in a temporary folder, an image pushed with skopeo from a tiny OCI layout written here. The
digest shipform records is the sha256 of the manifest skopeo reads back, and the one the registry reports.

Needs `apt-get install docker-registry skopeo`; skips saying so when they are missing, unless
SHIPFORM_REQUIRE_CONTAINERS=1 (CI), which makes that a failure."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lock.helpers import invoke
from lock.registry_server import registry_for_test
from shipform.delivery.lock import LOCK_FILE
from shipform.delivery.registry import ACCEPT, Client

pytestmark = pytest.mark.containers

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Iterator[str]:
    """host:port of a fresh registry on 127.0.0.1."""
    with registry_for_test(tmp_path_factory.mktemp("registry")) as host:
        yield host


def oci_layout(root: Path) -> None:
    """An OCI image layout with one image (a one-file layer, its config, its manifest) tagged '1.0', and an image
    index holding that manifest for linux/amd64 tagged 'multi'."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes, media_type: str, **extra: object) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data), **extra}

    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        content = b"hello from shipform\n"
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mode = len(content), 0o644
        tar.addfile(info, io.BytesIO(content))
    layer_blob = blob(layer.getvalue(), "application/vnd.oci.image.layer.v1.tar")
    config = {"architecture": "amd64", "os": "linux", "config": {},
              "rootfs": {"type": "layers", "diff_ids": [layer_blob["digest"]]}}
    config_blob = blob(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config_blob, "layers": [layer_blob]}
    manifest_blob = blob(json.dumps(manifest).encode(), OCI_MANIFEST)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
             "manifests": [{**manifest_blob, "platform": {"architecture": "amd64", "os": "linux"}}]}
    index_blob = blob(json.dumps(index).encode(), OCI_INDEX)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {**manifest_blob, "annotations": {"org.opencontainers.image.ref.name": "1.0"}},
        {**index_blob, "annotations": {"org.opencontainers.image.ref.name": "multi"}}]}))


def skopeo(*args: str, policy: Path) -> bytes:
    result = subprocess.run(["skopeo", "--policy", str(policy), *args], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


@pytest.fixture(scope="module")
def pushed(registry, tmp_path_factory) -> dict[str, str]:
    """{image: sha256 of the manifest `skopeo inspect --raw` reads back} of the tags pushed with skopeo."""
    folder = tmp_path_factory.mktemp("oci")
    policy = folder / "policy.json"
    policy.write_text('{"default": [{"type": "insecureAcceptAnything"}]}')
    oci_layout(folder / "layout")
    found = {}
    # The last one stands in for Docker Hub's python under a pull-through cache: <mirror>/library/<name>:<tag>.
    for tag, everything, image in (("1.0", False, f"{registry}/acme/tiny:1.0"),
                                   ("multi", True, f"{registry}/acme/tiny:multi"),
                                   ("multi", True, f"{registry}/hub/library/python:3.12.8-slim-bookworm")):
        skopeo("copy", "--quiet", *(["--all"] if everything else []), "--dest-tls-verify=false",
               f"oci:{folder / 'layout'}:{tag}", f"docker://{image}", policy=policy)
        raw = skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{image}", policy=policy)
        assert json.loads(raw)["mediaType"] == (OCI_INDEX if everything else OCI_MANIFEST)
        found[image] = "sha256:" + hashlib.sha256(raw).hexdigest()
    return found


def reported(image: str) -> str:
    """The Docker-Content-Digest the registry itself sends for the tag."""
    host, _, rest = image.partition("/")
    name, tag = rest.rsplit(":", 1)
    request = urllib.request.Request(f"http://{host}/v2/{name}/manifests/{tag}", method="HEAD",
                                     headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(answer.headers["Docker-Content-Digest"])


def test_the_client_reads_the_digest_skopeo_and_the_registry_agree_on(pushed):
    client = Client(timeout=10)
    for image, expected in pushed.items():
        assert client.digest(image) == expected == reported(image)


def test_shipform_lock_records_them_for_every_environment_that_runs_them(pushed, tmp_path):
    single, index = sorted(image for image in pushed if "/acme/tiny:" in image)  # '.../tiny:1.0', '.../tiny:multi'
    (tmp_path / "requirements.txt").write_text("shipform\n")  # what CI installs
    (tmp_path / "app.py").write_text(f'''
from shipform import App, Environment, Health, WebService, Worker
app = App("tiny", registry="ghcr.io/acme")
for name, local in (("dev", True), ("prod", False)):
    env = Environment(app, name, local=local)
    WebService(env, "web", image={single!r}, port=8080)
    if name == "prod":
        Worker(env, "worker", image={index!r}, health=Health.none("a test image"))
''')
    result = invoke("lock", str(tmp_path / "app.py"))
    assert result.exit_code == 0, result.output
    lock = json.loads((tmp_path / LOCK_FILE).read_text())["environments"]
    assert lock == {"dev": {single: pushed[single]}, "prod": {single: pushed[single], index: pushed[index]}}
    assert result.stdout.splitlines()[1:] == [f"  + dev {single} {pushed[single]}",
                                              f"  + prod {single} {pushed[single]}",
                                              f"  + prod {index} {pushed[index]}"]
    synth = invoke("synth", str(tmp_path / "app.py"), "--outdir", str(tmp_path / "out"))
    # every image has a digest: no note but the one on the workflows a scratch --outdir keeps
    assert synth.exit_code == 0 and len(synth.stdout.splitlines()) == 2
    assert "the workflows stay in" in synth.stdout.splitlines()[1]
    deployment = (tmp_path / "out" / "tiny" / "k8s" / "prod" / "deployment-tiny-worker.yaml").read_text()
    assert f"image: {index}@{pushed[index]}" in deployment


def test_shipform_lock_resolves_a_base_through_a_loopback_mirror(registry, pushed, tmp_path):
    base = f"{registry}/hub/library/python:3.12.8-slim-bookworm"
    (tmp_path / "requirements.txt").write_text("shipform\n")
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / "requirements.txt").write_text("flask==3.1.0\n")
    (tmp_path / "app.py").write_text(f'''
from shipform import App, Build, Environment, WebService
app = App("tiny", registry="ghcr.io/acme", base_registry="{registry}/hub")
dev = Environment(app, "dev", local=True)
WebService(dev, "api", build=Build.python("py", ["python", "-m", "api"]), port=8000)
''')
    result = invoke("lock", str(tmp_path / "app.py"), "--env", "dev")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / LOCK_FILE).read_text())["bases"] == {base: pushed[base]}
    assert result.stdout.splitlines()[1:] == [f"  + base {base} {pushed[base]}"]
    synth = invoke("synth", str(tmp_path / "app.py"), "--outdir", str(tmp_path / "out"))
    assert synth.exit_code == 0, synth.output
    dockerfile = (tmp_path / "out" / "tiny" / "docker" / "api" / "Dockerfile").read_text()
    assert f"\nFROM {base}@{pushed[base]} AS build\n" in dockerfile and f"\nFROM {base}@{pushed[base]}\n" in dockerfile
